"""One metric across several devices on a single panel."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from charts import panels, style
from charts.history import empty_figure
from charts.labels import ENGLISH, Labels
from charts.prepare import Line, prepare
from charts.series import Comparison
from charts.style import number
from charts.timeaxis import local_time_axis

# Colour-blind-safe qualitative palette (Okabe–Ito), enough for a household's devices.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999933")
LEGEND_ROW_IN = 0.4


def comparison_chart(comparison: Comparison, labels: Labels = ENGLISH) -> bytes:
    """PNG comparing `comparison.metric` across devices; a "no data" image when none has data."""
    with style.styled():
        return style.png(comparison_figure(comparison, labels))


def comparison_figure(comparison: Comparison, labels: Labels = ENGLISH) -> Figure:
    zone = ZoneInfo(comparison.tz_name)
    heading = f"{labels.metric(comparison.metric)} · {style.period_text(*_span(comparison), zone)}"
    prepared = {
        name: prepare(series, comparison.report_interval_s, style.PLOT_WIDTH_PX)
        for name, series in comparison.series.items()
        if series
    }
    names = [name for name, line in prepared.items() if line.count]
    if not names:
        return empty_figure(heading, labels)
    legend_rows = (len(names) + 1) // 2
    height = style.HEADER_IN + 5.0 + style.FOOTER_IN + LEGEND_ROW_IN * legend_rows + 0.3
    figure = style.new_figure(height)
    bottom_in = style.FOOTER_IN + LEGEND_ROW_IN * legend_rows + 0.3
    figure.subplots_adjust(left=0.1, right=0.97, top=1 - style.HEADER_IN / height, bottom=bottom_in / height)
    ax = figure.subplots()
    lines = []
    for index, name in enumerate(names):
        line = prepared[name]
        lines.append(line)
        colour = PALETTE[index % len(PALETTE)]
        average = number(float(np.nanmean(line.y)))
        panels.draw_line(ax, line, colour, label=f"{name} · {labels.average} {average}")
    _backdrop(ax, comparison, lines, labels)
    local_time_axis(ax, zone, comparison.period.start, comparison.period.end)
    ax.set_xlabel(labels.time_axis.format(zone=comparison.tz_name))
    panels.finish(ax, panels.stats_text(lines, labels))
    figure.legend(loc="lower center", ncols=2, frameon=False, fontsize=15, bbox_to_anchor=(0.5, 0.0))
    figure.suptitle(heading, fontsize=21, fontweight="bold", y=0.995)
    return figure


def _backdrop(ax: Axes, comparison: Comparison, lines: list[Line], labels: Labels) -> None:
    """CO2 gets its air-quality zones; any metric gets the threshold line when one is given."""
    if comparison.metric == "co2":
        low = min(float(np.nanmin(panels.extent(line)[0])) for line in lines)
        high = max(float(np.nanmax(panels.extent(line)[1])) for line in lines)
        panels.co2_zones(ax, low, max(high, comparison.threshold or 0), labels)
    if comparison.threshold is not None:
        panels.threshold_line(ax, comparison.threshold, labels)


def _span(comparison: Comparison) -> tuple[datetime, datetime]:
    return comparison.period.start, comparison.period.end
