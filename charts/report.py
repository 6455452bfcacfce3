"""The monthly PDF of one device: daily averages and maxima, hours above threshold, uptime, alerts."""

from __future__ import annotations

import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from charts import style
from charts.history import metric_rank
from charts.labels import ENGLISH, Labels
from charts.series import AlertEntry, DaySummary, MonthlyReport, MonthUse
from charts.style import number

A4_IN = (8.27, 11.69)
ALERT_ROWS_PER_PAGE = 40
BAR_COLOUR = "#9db4d8"
MAX_COLOUR = "#b00020"


def monthly_report(report: MonthlyReport, labels: Labels = ENGLISH) -> bytes:
    """PDF bytes: a summary page with the daily charts, a page of other metrics, then the alert list."""
    buffer = io.BytesIO()
    # No creation date in the metadata: the same inputs give the same file.
    with (
        style.styled(),
        PdfPages(buffer, metadata={"Title": _heading(report, labels), "CreationDate": None}) as pdf,
    ):
        for page in _pages(report, labels):
            pdf.savefig(page)
    return buffer.getvalue()


def _pages(report: MonthlyReport, labels: Labels) -> list[Figure]:
    days = sorted(report.days, key=lambda d: d.day)
    pages = [_use_page(report, use, days, labels) for use in report.use]
    pages.append(_summary_page(report, days, labels))
    counters = {use.metric for use in report.use}
    others = sorted({m for d in days for m in d.means if m != "co2" and m not in counters}, key=metric_rank)
    if others:
        pages.append(_metrics_page(report, days, others, labels))
    alerts = sorted(report.alerts, key=lambda a: a.ts)
    for start in range(0, len(alerts), ALERT_ROWS_PER_PAGE):
        pages.append(_alerts_page(report, alerts[start : start + ALERT_ROWS_PER_PAGE], labels))
    return pages


def _page(report: MonthlyReport, labels: Labels) -> Figure:
    page = Figure(figsize=A4_IN, dpi=100)
    page.text(0.5, 0.965, _heading(report, labels), ha="center", va="top", fontsize=17, fontweight="bold")
    return page


def _summary_page(report: MonthlyReport, days: Sequence[DaySummary], labels: Labels) -> Figure:
    page = _page(report, labels)
    uptime = 100 * float(np.mean([d.uptime for d in days])) if days else 0.0
    hours_above = sum(d.hours_above for d in days)
    figures = (f"{uptime:.1f} %", number(hours_above), str(len(report.alerts)))
    for index, (caption, value) in enumerate(zip(labels.summary, figures, strict=True)):
        x = (index + 0.5) / 3
        page.text(x, 0.905, value, ha="center", fontsize=22, fontweight="bold")
        page.text(x, 0.885, caption, ha="center", fontsize=11, color="#555555")
    co2_ax, hours_ax, uptime_ax = page.subplots(3, 1, gridspec_kw={"height_ratios": [1.6, 1, 1]})
    page.subplots_adjust(left=0.11, right=0.96, top=0.84, bottom=0.06, hspace=0.45)
    _daily(co2_ax, days, "co2", labels)
    co2_ax.set_title(labels.daily_co2, loc="left", fontsize=13)
    if report.co2_threshold is not None:
        co2_ax.axhline(report.co2_threshold, color=style.THRESHOLD_COLOUR, ls="--", lw=1.2)
    threshold = number(report.co2_threshold) if report.co2_threshold is not None else "—"
    _bars(hours_ax, days, [d.hours_above for d in days], labels.hours_above.format(value=threshold))
    _bars(uptime_ax, days, [100 * d.uptime for d in days], labels.uptime)
    uptime_ax.set_ylim(0, 105)
    if not report.alerts:
        page.text(0.5, 0.015, labels.no_alerts, ha="center", fontsize=11, color="#555555")
    return page


def _use_page(report: MonthlyReport, use: MonthUse, days: Sequence[DaySummary], labels: Labels) -> Figure:
    """A meter's month as a regulator reads it: consumption, its day/night split, the register's ends."""
    page = _page(report, labels)
    figures = (use.total, use.day, use.night, use.start_value, use.end_value)
    page.text(0.5, 0.925, labels.metric(use.metric), ha="center", fontsize=13, color="#555555")
    for index, (caption, value) in enumerate(zip(labels.use_figures, figures, strict=True)):
        x = (index + 0.5) / len(figures)
        page.text(
            x, 0.885, "—" if value is None else number(value), ha="center", fontsize=18, fontweight="bold"
        )
        page.text(x, 0.865, caption, ha="center", fontsize=10, color="#555555")
    ax = page.subplots(1, 1)
    page.subplots_adjust(left=0.11, right=0.96, top=0.8, bottom=0.45)
    by_day = dict(use.daily)
    _bars(ax, days, [by_day.get(d.day, 0.0) for d in days], labels.daily_use)
    return page


def _metrics_page(
    report: MonthlyReport, days: Sequence[DaySummary], metrics: list[str], labels: Labels
) -> Figure:
    page = _page(report, labels)
    axes = page.subplots(len(metrics), 1, squeeze=False)[:, 0]
    page.subplots_adjust(left=0.11, right=0.96, top=0.9, bottom=0.06, hspace=0.5)
    for ax, metric in zip(axes, metrics, strict=True):
        _daily(ax, days, metric, labels)
        ax.set_title(labels.daily_metric.format(metric=labels.metric(metric)), loc="left", fontsize=13)
    return page


def _daily(ax: Axes, days: Sequence[DaySummary], metric: str, labels: Labels) -> None:
    """Bars for the daily average, a line of dots for the daily maximum; days without data stay empty."""
    x = [d.day.day for d in days]
    means = [d.means.get(metric, np.nan) for d in days]
    maxima = [d.maxima.get(metric, np.nan) for d in days]
    ax.bar(x, means, color=BAR_COLOUR, label=labels.average)
    ax.plot(x, maxima, color=MAX_COLOUR, marker="o", markersize=4, lw=1.2, label=labels.maximum)
    ax.legend(loc="upper left", fontsize=10, frameon=False, ncols=2)
    _day_axis(ax, days)


def _bars(ax: Axes, days: Sequence[DaySummary], values: list[float], title: str) -> None:
    ax.bar([d.day.day for d in days], values, color=BAR_COLOUR)
    ax.set_title(title, loc="left", fontsize=13)
    _day_axis(ax, days)


def _day_axis(ax: Axes, days: Sequence[DaySummary]) -> None:
    last = max((d.day.day for d in days), default=31)
    ax.set_xlim(0.4, max(last, 28) + 0.6)
    ax.set_xticks(range(1, max(last, 28) + 1, 2))
    ax.tick_params(labelsize=10)
    ax.grid(True, axis="y", alpha=0.35)


def _alerts_page(report: MonthlyReport, alerts: Sequence[AlertEntry], labels: Labels) -> Figure:
    page = _page(report, labels)
    page.text(0.08, 0.92, labels.alerts, fontsize=14, fontweight="bold")
    zone = ZoneInfo(report.tz_name)
    columns = (0.08, 0.34, 0.66, 0.82)
    for x, header in zip(columns, labels.alert_columns, strict=True):
        page.text(x, 0.89, header, fontsize=10, fontweight="bold", color="#555555")
    for row, alert in enumerate(alerts):
        y = 0.865 - row * 0.021
        cells = (
            alert.ts.astimezone(zone).strftime("%d.%m.%Y %H:%M"),
            alert.kind,
            "" if alert.value is None else number(alert.value),
            "" if alert.threshold is None else number(alert.threshold),
        )
        for x, cell in zip(columns, cells, strict=True):
            page.text(x, y, cell, fontsize=10, family="monospace")
    return page


def _heading(report: MonthlyReport, labels: Labels) -> str:
    return labels.report_title.format(device=report.device_name, month=f"{report.month:02d}.{report.year}")
