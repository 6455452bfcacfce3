"""Data for history charts: raw readings for short periods, the hourly rollup for long ones.

The rule, so that a chart never reads more than a few thousand points whatever the period:
the hourly rollup says how many readings the window holds (the busiest metric's total, one cheap
probe of at most 24 rows a day). Up to MAX_RAW_READINGS readings, the raw rows are read and every
reading is drawn; beyond that, the hourly buckets (min, mean, max) are read instead, at most
24 × MAX_SPAN.days per metric. The raw query carries a LIMIT as well, so a rollup that lags behind
the readings can cost one bounded read, never an unbounded one. At 30-second reports this means
raw data up to about 33 hours and buckets beyond; at 5-second (live) reports, buckets from 6 hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import catalogue
from core.billing import grace
from core.models import METRICS, AlertRule, Device, DeviceConfig, DeviceType, Telemetry, TelemetryHourly
from core.services import archive, consumption, devices

MAX_RAW_READINGS = 4000
MAX_SPAN = timedelta(days=62)
# Consumption bars per hour up to this span, per local day beyond.
CONSUMPTION_BY_HOUR = timedelta(days=2)
DEFAULT_REPORT_INTERVAL_S = 30


@dataclass(frozen=True, slots=True)
class Sample:
    """One raw reading of one metric (aware UTC)."""

    ts: datetime
    value: float


@dataclass(frozen=True, slots=True)
class HourStats:
    """One hour of the rollup; `ts` is the start of the hour (UTC)."""

    ts: datetime
    min: float
    mean: float
    max: float


@dataclass(frozen=True, slots=True)
class DeviceHistory:
    """Per-metric series, oldest first, only metrics with data; `hourly` tells which kind they are.

    A counter (a meter's kWh register) is not a line: `consumption` holds what it consumed per local hour
    (periods up to two days) or day, drawn as bars.
    """

    hourly: bool
    series: dict[str, list[Sample]] | dict[str, list[HourStats]]
    consumption: dict[str, list[tuple[datetime, float]]] = field(default_factory=dict)

    @property
    def points(self) -> int:
        return sum(len(values) for values in self.series.values())


@dataclass(frozen=True, slots=True)
class ChartSettings:
    """What frames a device's chart: its name, sensors, normal report pace and CO2 threshold."""

    name: str
    sensors: tuple[str, ...]
    report_interval_s: int
    co2_threshold: float | None
    # Its catalogue type (core.catalogue.device_type): which metrics /history offers.
    device_type: str = "co2"


class PeriodTooLong(ValueError):
    """More than MAX_SPAN: even the hourly rollup would be too many points for one chart."""


async def chart_settings(session: AsyncSession, device_id: int) -> ChartSettings:
    """The device's chart framing; the CO2 threshold is the config's, else the CO2 alert rule's.

    The caller has checked access already; an unknown id raises NoResultFound.
    """
    row = (
        await session.execute(
            select(Device.name, Device.device_uid, Device.device_type, DeviceType.sensors, DeviceConfig)
            .join(DeviceType, DeviceType.code == Device.device_type)
            .outerjoin(DeviceConfig, DeviceConfig.device_id == Device.id)
            .where(Device.id == device_id)
        )
    ).one()
    config: DeviceConfig | None = row.DeviceConfig
    threshold: float | None = config.co2_threshold if config is not None else None
    if threshold is None:
        threshold = await _co2_rule_threshold(session, device_id)
    return ChartSettings(
        name=row.name or row.device_uid,
        sensors=tuple(m for m in row.sensors if m in METRICS),
        report_interval_s=config.report_interval if config is not None else DEFAULT_REPORT_INTERVAL_S,
        co2_threshold=threshold,
        device_type=row.device_type,
    )


async def _co2_rule_threshold(session: AsyncSession, device_id: int) -> float | None:
    return await session.scalar(
        select(AlertRule.threshold).where(
            AlertRule.device_id == device_id, AlertRule.metric == "co2", AlertRule.direction == "above"
        )
    )


async def chartable_device(session: AsyncSession, user_id: int, device_id: int) -> devices.DeviceSummary:
    """The device as the caller sees it, if its history may be shown to them now: AccessDenied without a
    role on it, DevicePaused while an overdue invoice pauses it.

    Asked on every request, before any picture drawn earlier is reused: a cache saves drawing, never a check
    (a member revoked or a device paused a second ago must not get the minute-old chart).
    """
    device = await devices.device_summary(session, user_id, device_id)
    await grace.ensure_not_paused(session, device_id)
    return device


async def load(
    session: AsyncSession,
    device_id: int,
    start: datetime,
    end: datetime,
    metrics: Sequence[str] = METRICS,
    *,
    tz_name: str = "UTC",
) -> DeviceHistory:
    """The device's `metrics` in [start, end): raw or hourly by the module's rule, never more than
    MAX_RAW_READINGS raw rows or 24 × MAX_SPAN.days buckets per metric. PeriodTooLong beyond MAX_SPAN.
    """
    if end - start > MAX_SPAN:
        raise PeriodTooLong
    await grace.ensure_not_paused(session, device_id)
    counters = [m for m in METRICS if m in metrics and catalogue.METRICS[m].is_counter]
    wanted = [m for m in METRICS if m in metrics and m not in counters]
    used = await _consumption(session, device_id, start, end, counters=counters, tz_name=tz_name)
    if await expected_readings(session, device_id, start, end) <= MAX_RAW_READINGS:
        raw = await _raw(session, device_id, start, end, wanted)
        if raw is not None:
            return replace(raw, consumption=used)
    return replace(await _hourly(session, device_id, start, end, wanted), consumption=used)


async def _consumption(
    session: AsyncSession,
    device_id: int,
    start: datetime,
    end: datetime,
    *,
    counters: list[str],
    tz_name: str,
) -> dict[str, list[tuple[datetime, float]]]:
    unit = "hour" if end - start <= CONSUMPTION_BY_HOUR else "day"
    used = {}
    zone = ZoneInfo(tz_name)
    for metric in counters:
        steps = await consumption.usage(session, device_id, metric, start, end, zone=zone)
        if steps:
            used[metric] = consumption.per_bucket(steps, zone, unit)
    return used


async def expected_readings(session: AsyncSession, device_id: int, start: datetime, end: datetime) -> int:
    """How many readings the busiest metric has in the hours touching [start, end), by the rollup."""
    per_metric = (
        select(func.sum(TelemetryHourly.count).label("total"))
        .where(
            TelemetryHourly.device_id == device_id,
            TelemetryHourly.bucket >= hour_start(start),
            TelemetryHourly.bucket < end,
        )
        .group_by(TelemetryHourly.metric)
        .subquery()
    )
    return int(await session.scalar(select(func.coalesce(func.max(per_metric.c.total), 0))) or 0)


def hour_start(moment: datetime) -> datetime:
    """The start of the UTC hour holding `moment`: the rollup bucket it falls in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


async def _raw(
    session: AsyncSession, device_id: int, start: datetime, end: datetime, metrics: list[str]
) -> DeviceHistory | None:
    """Every reading, or None when there are more than MAX_RAW_READINGS (the rollup lagged)."""
    columns = [getattr(Telemetry, m) for m in metrics]
    older = await archive.older_readings(device_id, start, end, metrics)
    if len(older) > MAX_RAW_READINGS:
        return None
    rows = older + list(
        (
            await session.execute(
                select(Telemetry.ts, *columns)
                .where(
                    Telemetry.device_id == device_id,
                    Telemetry.ts >= max(start, archive.cutoff() or start),
                    Telemetry.ts < end,
                )
                .order_by(Telemetry.ts)
                .limit(MAX_RAW_READINGS + 1 - len(older))
            )
        ).all()
    )
    if len(rows) > MAX_RAW_READINGS:
        return None
    series: dict[str, list[Sample]] = {}
    for index, metric in enumerate(metrics, start=1):
        values = [Sample(row[0], float(row[index])) for row in rows if row[index] is not None]
        if values:
            series[metric] = values
    return DeviceHistory(hourly=False, series=series)


async def _hourly(
    session: AsyncSession, device_id: int, start: datetime, end: datetime, metrics: list[str]
) -> DeviceHistory:
    h = TelemetryHourly
    rows = await session.execute(
        select(h.metric, h.bucket, h.min, h.max, h.sum / h.count)
        .where(
            h.device_id == device_id,
            h.metric.in_(metrics),
            h.bucket >= hour_start(start),
            h.bucket < end,
        )
        .order_by(h.metric, h.bucket)
    )
    series: dict[str, list[HourStats]] = {}
    for metric, bucket, low, high, mean in rows:
        series.setdefault(metric, []).append(HourStats(bucket, float(low), float(mean), float(high)))
    return DeviceHistory(hourly=True, series=series)
