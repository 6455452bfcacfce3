"""What the rendering workers run (see .pool): plain data in, PNG/PDF bytes out through charts/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.workers.rendering.jobs import HistoryJob
from charts import (
    AlertEntry,
    Bucket,
    DaySummary,
    History,
    MonthlyReport,
    Period,
    Point,
    agg_text,
    for_language,
    history_chart,
    monthly_report,
)
from charts.series import MonthUse, Series
from core.services.history import ChartSettings, DeviceHistory, HourStats, Sample
from core.services.report import MonthData

__all__ = ["HistoryJob", "render_history", "render_report", "warm_up"]


def render_history(job: HistoryJob) -> bytes:
    """PNG of one device's history."""
    history = History(
        device_name=job.settings.name,
        period=Period(job.start, job.end),
        tz_name=job.tz_name,
        series={metric: _series(values) for metric, values in job.data.series.items()},
        report_interval_s=job.settings.report_interval_s,
        co2_threshold=job.settings.co2_threshold,
        consumption=job.data.consumption,
    )
    return history_chart(history, for_language(job.language))


def _series(values: list[Sample] | list[HourStats]) -> Series:
    # One kind per series: the service returns all raw samples or all hourly buckets.
    if values and isinstance(values[0], HourStats):
        return [Bucket(v.ts, v.min, v.mean, v.max) for v in values if isinstance(v, HourStats)]
    return [Point(v.ts, v.value) for v in values if isinstance(v, Sample)]


def render_report(data: MonthData, language: str) -> bytes:
    """PDF of one device's month."""
    report = MonthlyReport(
        device_name=data.device_name,
        year=data.year,
        month=data.month,
        tz_name=data.tz_name,
        days=[DaySummary(d.day, d.means, d.maxima, d.hours_above, d.uptime) for d in data.days],
        alerts=[AlertEntry(a.ts, a.kind, a.value, a.threshold) for a in data.alerts],
        co2_threshold=data.co2_threshold,
        use=[
            MonthUse(
                u.metric,
                u.month.total,
                u.month.day,
                u.month.night,
                u.month.start_value,
                u.month.end_value,
                u.daily,
            )
            for u in data.use
        ],
    )
    return monthly_report(report, for_language(language))


def warm_up(glyph_cache: bool = True) -> None:
    """Draw a tiny chart once, so fonts and caches are loaded before the first user waits for them.

    `glyph_cache`: whether charts draw their text from remembered glyphs (charts.agg_text).
    """
    agg_text.use(glyph_cache)
    end = datetime.now(UTC)
    render_history(
        HistoryJob(
            DeviceHistory(False, {"co2": [Sample(end - timedelta(minutes=1), 600.0), Sample(end, 610.0)]}),
            ChartSettings("SmartAir", ("co2",), 30, 1000.0),
            end - timedelta(minutes=2),
            end,
            "UTC",
            "en",
        )
    )
