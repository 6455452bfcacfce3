"""Drawing pieces shared by the charts: outage shading, lines and bands, CO2 zones, threshold."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from charts import style
from charts.labels import Labels
from charts.prepare import Array, Line
from charts.style import number

SPARSE_POINTS = 150  # fewer readings than this get markers too, so an isolated reading stays visible
MIN_SHADED_GAP = 0.004  # outages narrower than this share of the period are left unshaded (clutter)
MIN_NAMED_GAP = 0.03  # outages wide enough to carry the word "offline"
# Labels over data stay legible without hiding it.
LABEL_BOX = {"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 1.5}


def extent(line: Line) -> tuple[Array, Array]:
    """The lowest and highest values drawn: the band when there is one, the line otherwise."""
    low = line.low if line.low is not None else line.y
    high = line.high if line.high is not None else line.y
    return low, high


def shade_outages(ax: Axes, gaps: list[tuple[float, float]], span_days: float, labels: Labels) -> None:
    for start, end in gaps:
        if end - start >= MIN_SHADED_GAP * span_days:
            ax.axvspan(start, end, color=style.OUTAGE_COLOUR, zorder=0, lw=0)
        if end - start >= MIN_NAMED_GAP * span_days:
            ax.text((start + end) / 2, 0.97, labels.offline, transform=ax.get_xaxis_transform(), ha="center",
                    va="top", rotation=90, fontsize=12, color="#666666", zorder=5)  # fmt: skip


def draw_line(ax: Axes, line: Line, colour: str, label: str | None = None) -> None:
    """The mean line over its min–max band for buckets; raw readings as a line, with markers if sparse."""
    if line.low is not None and line.high is not None:
        ax.fill_between(line.x, line.low, line.high, color=colour, alpha=0.22, lw=0, zorder=2)
    sparse = line.count < SPARSE_POINTS
    # Dense raw data is drawn as a min/max envelope per pixel column; a thinner pen keeps it crisp.
    width = 2.2 if sparse or line.low is not None else 1.8
    marker = "o" if sparse else None
    ax.plot(line.x, line.y, color=colour, lw=width, marker=marker, markersize=4, zorder=3, label=label)


def co2_zones(ax: Axes, low: float, high: float, labels: Labels) -> None:
    """Coloured air-quality zones behind the data; the y range always shows where 'good' ends."""
    top = max(high, 1000) * 1.08
    bottom = min(low, 400) - 40
    for (zone_from, zone_to, colour, text_colour), name in zip(style.CO2_ZONES, labels.zones, strict=True):
        ax.axhspan(zone_from, zone_to, color=colour, alpha=style.ZONE_ALPHA, lw=0, zorder=1)
        if bottom < (zone_from + min(zone_to, top)) / 2 < top:
            # Under the zone's upper edge: the bottom edge may carry the threshold label.
            ax.text(0.995, min(zone_to, top), name, transform=ax.get_yaxis_transform(), va="top",
                    ha="right", fontsize=12, color=text_colour, zorder=5, bbox=LABEL_BOX)  # fmt: skip
    ax.set_ylim(bottom, top)


def threshold_line(ax: Axes, value: float, labels: Labels) -> None:
    ax.axhline(value, color=style.THRESHOLD_COLOUR, ls="--", lw=1.8, zorder=4)
    ax.text(0.005, value, labels.threshold.format(value=number(value)), transform=ax.get_yaxis_transform(),
            va="bottom", ha="left", fontsize=13, zorder=5, color=style.THRESHOLD_COLOUR,
            bbox=LABEL_BOX)  # fmt: skip


def finish(ax: Axes, title: str) -> None:
    # An explicit y spares matplotlib's automatic title placement, a third of the drawing time.
    ax.set_title(title, loc="left", fontsize=17, y=1.0, pad=8)
    ax.grid(True, alpha=0.35)
    ax.margins(x=0)


def stats_text(lines: list[Line], labels: Labels) -> str:
    lows = [float(np.nanmin(extent(line)[0])) for line in lines]
    highs = [float(np.nanmax(extent(line)[1])) for line in lines]
    avg = float(np.nanmean(np.concatenate([line.y for line in lines])))
    return labels.stats.format(min=number(min(lows)), avg=number(avg), max=number(max(highs)))
