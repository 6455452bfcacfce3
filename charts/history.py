"""The history chart of one device: a panel per metric, local time axis, outages left blank; a counter's
consumption as bars per hour or day below the lines."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from charts import panels, style
from charts.labels import ENGLISH, Labels
from charts.prepare import Line, prepare
from charts.series import History, Period
from charts.timeaxis import local_time_axis

METRIC_ORDER = ("co2", "temperature", "humidity", "pm25", "voc")


def history_chart(history: History, labels: Labels = ENGLISH) -> bytes:
    """PNG of the device's history; a "no data" image when there is nothing to draw."""
    with style.styled():
        return style.png(history_figure(history, labels, _SKELETONS))


class Skeletons:
    """Figures with their panels, kept per panel count and emptied for the next chart of a process.

    Building the axes (their ticks above all: three lines and two texts each) is a third of a chart's time;
    an emptied figure keeps them. Only for a process drawing one chart at a time (a rendering worker): the
    figure handed out last is emptied when the next one is asked for.
    """

    def __init__(self) -> None:
        self._kept: dict[int, tuple[Figure, list[Axes]]] = {}

    def take(self, panels_count: int) -> tuple[Figure, list[Axes]]:
        if panels_count not in self._kept:
            self._kept[panels_count] = new_skeleton(panels_count)
            return self._kept[panels_count]
        figure, axes = self._kept[panels_count]
        for ax in axes:
            for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts]:
                artist.remove()
            ax.containers.clear()
            # Limits come from the next chart's data again, as on a new axes (relim forgets the old data).
            ax.relim()
            ax.set_autoscale_on(True)
        return figure, axes


_SKELETONS = Skeletons()


def new_skeleton(panels_count: int) -> tuple[Figure, list[Axes]]:
    height = style.HEADER_IN + style.PANEL_IN * panels_count + style.FOOTER_IN
    figure = style.new_figure(height)
    figure.subplots_adjust(
        left=0.1, right=0.97, top=1 - style.HEADER_IN / height, bottom=style.FOOTER_IN / height, hspace=0.3
    )
    # Not shared: every chart gives each panel the same time axis anyway, and matplotlib draws a shared axis's
    # siblings' ticks again to place each panel's (empty) axis label: a tenth of the drawing.
    axes = list(figure.subplots(panels_count, 1, squeeze=False)[:, 0])
    # Only the bottom panel's time axis has a label. matplotlib measures every tick label on each draw to
    # place an axis label clear of them, empty or not; a fixed place spares that for the labels never shown.
    for ax in axes:
        ax.yaxis.set_label_coords(0, 0.5)
    for ax in axes[:-1]:
        ax.tick_params(axis="x", which="both", labelbottom=False)
        ax.xaxis.set_label_coords(0.5, 0)
    return figure, axes


def history_figure(history: History, labels: Labels = ENGLISH, skeletons: Skeletons | None = None) -> Figure:
    zone = ZoneInfo(history.tz_name)
    prepared = {
        metric: prepare(series, history.report_interval_s, style.PLOT_WIDTH_PX)
        for metric, series in history.series.items()
        if series
    }
    metrics = sorted((m for m, line in prepared.items() if line.count), key=metric_rank)
    counters = sorted(m for m, amounts in history.consumption.items() if amounts)
    if not metrics and not counters:
        return empty_figure(title(history.device_name, history.period, zone), labels)
    panels_count = len(metrics) + len(counters)
    figure, axes = skeletons.take(panels_count) if skeletons is not None else new_skeleton(panels_count)
    for ax, metric in zip(axes, metrics, strict=False):
        _panel(ax, metric, prepared[metric], history, labels)
    for ax, metric in zip(axes[len(metrics) :], counters, strict=True):
        _consumption_panel(ax, metric, history.consumption[metric], labels)
    for ax in axes:
        local_time_axis(ax, zone, history.period.start, history.period.end)
    axes[-1].set_xlabel(labels.time_axis.format(zone=history.tz_name))
    figure.suptitle(title(history.device_name, history.period, zone), fontsize=21, fontweight="bold", y=0.995)
    return figure


def _panel(ax: Axes, metric: str, line: Line, history: History, labels: Labels) -> None:
    span_days = (history.period.end - history.period.start).total_seconds() / 86400
    panels.shade_outages(ax, line.gaps, span_days, labels)
    panels.draw_line(ax, line, style.LINE_COLOURS.get(metric, style.DEFAULT_COLOUR))
    if metric == "co2":
        low, high = panels.extent(line)
        threshold = history.co2_threshold
        panels.co2_zones(ax, float(np.nanmin(low)), max(float(np.nanmax(high)), threshold or 0), labels)
        if threshold is not None:
            panels.threshold_line(ax, threshold, labels)
    panels.finish(ax, f"{labels.metric(metric)}    {panels.stats_text([line], labels)}")


def _consumption_panel(
    ax: Axes, metric: str, amounts: Sequence[tuple[datetime, float]], labels: Labels
) -> None:
    """Bars of what a counter consumed per hour or per day (the bucket's width is read off the data)."""
    starts = [ts for ts, _ in amounts]
    values = [amount for _, amount in amounts]
    step = min((b - a for a, b in itertools.pairwise(starts)), default=timedelta(hours=1))
    width = min(step, timedelta(days=1)).total_seconds() / 86400 * 0.85  # matplotlib dates are in days
    ax.bar(
        mdates.date2num(starts),
        values,
        width=width,
        align="edge",
        color=style.LINE_COLOURS.get(metric, style.DEFAULT_COLOUR),
    )
    total = panels.number(sum(values))
    panels.finish(ax, labels.consumption.format(metric=labels.metric(metric), total=total))


def empty_figure(heading: str, labels: Labels) -> Figure:
    figure = style.new_figure(6.0)
    figure.text(0.5, 0.78, heading, ha="center", fontsize=21, fontweight="bold")
    figure.text(0.5, 0.45, labels.no_data, ha="center", va="center", fontsize=30, color="#666666")
    return figure


def title(device_name: str, period: Period, zone: ZoneInfo) -> str:
    return f"{device_name} · {style.period_text(period.start, period.end, zone)}"


def metric_rank(metric: str) -> tuple[int, str]:
    return (METRIC_ORDER.index(metric) if metric in METRIC_ORDER else len(METRIC_ORDER), metric)
