"""What a counter metric (a meter's kWh register) consumed: per hour or day, per month, day and night.

A counter's consumption is the sum of the increases between consecutive readings; a reading below the one
before means the register was reset (a replaced meter, a wiped memory) and counted up again from zero, so its
increase is its own value. Each increase belongs to the moment of the later reading, and the reading just
before a period is taken too, so nothing consumed across the period's start is lost.

`usage` reads whole UTC hours from the hourly rollup, whose `increase` follows the same rule
(core.telemetry_store.fold_hourly keeps it exact), and only the partial hours at a period's ends from the
readings themselves: a month is ~750 rollup rows instead of tens of thousands of readings, with the same sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core import catalogue
from core.models import TelemetryHourly

# The usual two-rate tariff's night: 23:00-07:00 local time.
NIGHT_START, NIGHT_END = 23, 7


HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Step:
    """One reading of the register and what was consumed since the previous one; or one hour of the rollup:
    `ts` the hour's start, `value` its last reading, `first` its first, `increase` what the hour consumed."""

    ts: datetime
    value: float
    increase: float
    first: float | None = None

    @property
    def first_value(self) -> float:
        return self.value if self.first is None else self.first


@dataclass(frozen=True, slots=True)
class MonthConsumption:
    total: float
    day: float
    night: float
    start_value: float | None
    end_value: float | None


def increase(previous: float, value: float) -> float:
    """The consumption between two register readings; a drop is a reset, counted up again from zero."""
    return value - previous if value >= previous else value


def _steps_sql(metric: str) -> str:
    if not catalogue.METRICS[metric].is_counter:
        raise ValueError(f"{metric} is not a counter")
    # `metric` is a catalogue name, never user input: safe to place in the statement.
    return f"""
    (SELECT ts, {metric} AS value FROM telemetry
      WHERE device_id = :device_id AND ts < :start AND {metric} IS NOT NULL ORDER BY ts DESC LIMIT 1)
    UNION ALL
    (SELECT ts, {metric} FROM telemetry
      WHERE device_id = :device_id AND ts >= :start AND ts < :end AND {metric} IS NOT NULL ORDER BY ts)
    """


async def last_before(session: AsyncSession, device_id: int, metric: str, start: datetime) -> float | None:
    """The counter's last reading before `start` (one backward index probe), if any."""
    if not catalogue.METRICS[metric].is_counter:
        raise ValueError(f"{metric} is not a counter")
    value = await session.scalar(
        text(
            f"SELECT {metric} FROM telemetry WHERE device_id = :device_id AND ts < :start"
            f" AND {metric} IS NOT NULL ORDER BY ts DESC LIMIT 1"
        ),
        {"device_id": device_id, "start": start},
    )
    return None if value is None else float(value)


async def steps(
    session: AsyncSession, device_id: int, metric: str, start: datetime, end: datetime
) -> list[Step]:
    """Every reading of the counter in [start, end) with its increase (the first one's previous reading is
    the last before `start`, if any; without one the first reading counts nothing)."""
    rows = (
        await session.execute(
            text(f"SELECT ts, value FROM ({_steps_sql(metric)}) AS r ORDER BY ts"),
            {"device_id": device_id, "start": start, "end": end},
        )
    ).all()
    result: list[Step] = []
    previous: float | None = None
    for ts, stored in rows:
        value = float(stored)
        if ts >= start:
            result.append(Step(ts, value, 0.0 if previous is None else increase(previous, value)))
        previous = value
    return result


async def usage(
    session: AsyncSession, device_id: int, metric: str, start: datetime, end: datetime, *, zone: ZoneInfo
) -> list[Step]:
    """What the counter consumed in [start, end), in time order, as `steps` gives it but with the whole UTC
    hours read from the rollup, one Step per hour: the same per-local-hour, per-day and day/night sums.

    Falls back to `steps` where an hour cannot stand for its readings: a zone whose offset is not whole
    hours (its local hours cut UTC hours), or a rollup hour without its increase (past retention at the
    migration that added it).
    """
    whole_start, whole_end = _ceil_hour(start), _floor_hour(end)
    if whole_end <= whole_start:
        return await steps(session, device_id, metric, start, end)
    hours = await _hours(session, device_id, metric, whole_start, whole_end)
    if hours is None or any(hour.ts.astimezone(zone).minute for hour in hours):
        return await steps(session, device_id, metric, start, end)
    head = await steps(session, device_id, metric, start, whole_start)
    tail = await steps(session, device_id, metric, whole_end, end)
    return [*head, *hours, *tail]


async def _hours(
    session: AsyncSession, device_id: int, metric: str, start: datetime, end: datetime
) -> list[Step] | None:
    h = TelemetryHourly
    rows = (
        await session.execute(
            select(h.bucket, h.first_value, h.last_value, h.increase)
            .where(h.device_id == device_id, h.metric == metric, h.bucket >= start, h.bucket < end)
            .order_by(h.bucket)
        )
    ).all()
    if any(row.increase is None or row.last_value is None for row in rows):
        return None
    return [Step(row.bucket, row.last_value, row.increase, row.first_value) for row in rows]


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _ceil_hour(moment: datetime) -> datetime:
    floor = _floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def per_bucket(items: Sequence[Step], zone: ZoneInfo, unit: str) -> list[tuple[datetime, float]]:
    """Consumption per local hour or day (`unit`), in time order; buckets without readings are absent."""
    totals: dict[datetime, float] = {}
    for step in items:
        local = step.ts.astimezone(zone)
        bucket = local.replace(minute=0, second=0, microsecond=0)
        if unit == "day":
            bucket = bucket.replace(hour=0)
        totals[bucket] = totals.get(bucket, 0.0) + step.increase
    return sorted(totals.items())


def month(items: Sequence[Step], zone: ZoneInfo) -> MonthConsumption:
    """A period's total, its day/night split (local hours of the tariff's night) and the register at its
    first and last reading."""
    night = sum(step.increase for step in items if _is_night(step.ts.astimezone(zone).hour))
    total = sum(step.increase for step in items)
    return MonthConsumption(
        total=total,
        day=total - night,
        night=night,
        start_value=items[0].first_value if items else None,
        end_value=items[-1].value if items else None,
    )


def _is_night(hour: int) -> bool:
    return hour >= NIGHT_START or hour < NIGHT_END
