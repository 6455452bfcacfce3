"""Data of the monthly report: per local day the averages and maxima, hours above threshold, uptime; alerts.

Computed from the raw readings of the month in one pass in PostgreSQL. A reading "covers" the time until
the next one, unless that pause is an outage (longer than 3 report intervals and 90 s, as the charts and the
offline rule count it): then it covers one report interval. Uptime is the covered share of the day (of its
elapsed part, for today); hours above threshold add up the time covered by readings with CO2 above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Float, case, cast, extract, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import catalogue
from core.models import METRICS, Alert, Device, Telemetry
from core.services import consumption
from core.services.history import ChartSettings, chart_settings
from core.services.periods import month_window

MAX_ALERTS = 400  # ten pages of the PDF: a month with more is summarised by its count
MISSED_REPORTS = 3
MIN_OUTAGE_S = 90


@dataclass(frozen=True, slots=True)
class DayStats:
    day: date
    means: dict[str, float]
    maxima: dict[str, float]
    hours_above: float
    uptime: float  # 0..1


@dataclass(frozen=True, slots=True)
class AlertRecord:
    ts: datetime
    kind: str
    value: float | None
    threshold: float | None


@dataclass(frozen=True, slots=True)
class MonthUse:
    """What a counter (a meter's kWh register) consumed in the month: the regulator's report."""

    metric: str
    month: consumption.MonthConsumption
    daily: list[tuple[date, float]]


@dataclass(frozen=True, slots=True)
class MonthData:
    device_name: str
    year: int
    month: int
    tz_name: str
    days: list[DayStats]
    alerts: list[AlertRecord]
    co2_threshold: float | None
    use: list[MonthUse] = field(default_factory=list)


async def monthly(
    session: AsyncSession, device_id: int, month: tuple[int, int], tz_name: str, now: datetime
) -> MonthData:
    """The (year, month) (in the user's time zone) as the report shows it: one entry per day from the month's
    start (or the device's first day) up to today, days without readings included. Access is the caller's.
    """
    settings = await chart_settings(session, device_id)
    year, number = month
    window = month_window(year, number, tz_name)
    end = min(window.end, now)
    created = await session.scalar(select(Device.created_at).where(Device.id == device_id))
    start = max(window.start, created) if created is not None else window.start
    rows = await _daily_rows(session, device_id, (window.start, end), tz_name, settings)
    days = [
        _day(local_day, rows.get(local_day), _elapsed_s(local_day, tz_name, end))
        for local_day in _days(start, end, tz_name)
    ]
    alerts = await _alerts(session, device_id, window.start, window.end)
    use = await _use(session, device_id, settings, (window.start, end), ZoneInfo(tz_name))
    return MonthData(settings.name, year, number, tz_name, days, alerts, settings.co2_threshold, use)


async def _use(
    session: AsyncSession,
    device_id: int,
    settings: ChartSettings,
    span: tuple[datetime, datetime],
    zone: ZoneInfo,
) -> list[MonthUse]:
    result = []
    for metric in (m for m in settings.sensors if catalogue.METRICS[m].is_counter):
        steps = await consumption.usage(session, device_id, metric, *span, zone=zone)
        daily = [(bucket.date(), amount) for bucket, amount in consumption.per_bucket(steps, zone, "day")]
        result.append(MonthUse(metric, consumption.month(steps, zone), daily))
    return result


async def _daily_rows(
    session: AsyncSession,
    device_id: int,
    span: tuple[datetime, datetime],
    tz_name: str,
    settings: ChartSettings,
) -> dict[date, dict[str, float | None]]:
    interval = float(settings.report_interval_s)
    outage = max(MISSED_REPORTS * interval, MIN_OUTAGE_S)
    t = Telemetry
    readings = (
        select(
            t.ts,
            *(getattr(t, m) for m in METRICS),
            func.lead(t.ts).over(order_by=t.ts).label("next_ts"),
        )
        .where(t.device_id == device_id, t.ts >= span[0], t.ts < span[1])
        .subquery()
    )
    r = readings.c
    pause = extract("epoch", r.next_ts - r.ts)
    covered = case((r.next_ts.is_(None) | (pause > outage), interval), else_=pause)
    threshold = settings.co2_threshold
    above = literal(0.0) if threshold is None else case((r.co2 > threshold, covered), else_=0.0)
    local_day = func.date(func.timezone(tz_name, r.ts)).label("day")
    aggregates = [func.sum(covered).label("covered"), func.sum(above).label("above")]
    for m in METRICS:
        aggregates += [
            cast(func.avg(r[m]), Float).label(f"{m}_avg"),
            cast(func.max(r[m]), Float).label(f"{m}_max"),
        ]
    result = await session.execute(select(local_day, *aggregates).group_by(local_day))
    return {row.day: dict(row._mapping) for row in result}


def _day(local_day: date, row: dict[str, float | None] | None, elapsed_s: float) -> DayStats:
    if row is None:
        return DayStats(local_day, {}, {}, 0.0, 0.0)
    means = {m: float(v) for m in METRICS if (v := row[f"{m}_avg"]) is not None}
    maxima = {m: float(v) for m in METRICS if (v := row[f"{m}_max"]) is not None}
    covered = float(row["covered"] or 0.0)
    uptime = min(covered / elapsed_s, 1.0) if elapsed_s > 0 else 0.0
    return DayStats(local_day, means, maxima, float(row["above"] or 0.0) / 3600, uptime)


def _days(start: datetime, end: datetime, tz_name: str) -> list[date]:
    zone = ZoneInfo(tz_name)
    first, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)] if end > start else []


def _elapsed_s(local_day: date, tz_name: str, end: datetime) -> float:
    """Seconds of the local day up to `end`: 23 or 25 hours on a DST change, part of today."""
    zone = ZoneInfo(tz_name)
    midnight = datetime(local_day.year, local_day.month, local_day.day, tzinfo=zone)
    following = midnight.date() + timedelta(days=1)
    next_midnight = datetime(following.year, following.month, following.day, tzinfo=zone)
    return max((min(next_midnight, end) - midnight).total_seconds(), 0.0)


async def _alerts(session: AsyncSession, device_id: int, start: datetime, end: datetime) -> list[AlertRecord]:
    # Each notice is stored once per member it went to: one line per notice, not per recipient.
    rows = await session.execute(
        select(Alert.created_at, Alert.type, Alert.value, Alert.threshold)
        .distinct()
        .where(Alert.device_id == device_id, Alert.created_at >= start, Alert.created_at < end)
        .order_by(Alert.created_at)
        .limit(MAX_ALERTS)
    )
    return [AlertRecord(ts, kind, value, threshold) for ts, kind, value, threshold in rows]
