"""What a counter metric (a meter's kWh register) consumed: per hour or day, per month, day and night.

A counter's consumption is the sum of the increases between consecutive readings; a reading below the one
before means the register was reset (a replaced meter, a wiped memory) and counted up again from zero, so its
increase is its own value. The reading just before the period is taken too, so nothing consumed across the
period's start is lost. Computed from the readings themselves (one index range scan of the device's rows):
an hourly rollup cannot know the increase across its hour's start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core import catalogue

# The usual two-rate tariff's night: 23:00-07:00 local time.
NIGHT_START, NIGHT_END = 23, 7


@dataclass(frozen=True, slots=True)
class Step:
    """One reading of the register and what was consumed since the previous one."""

    ts: datetime
    value: float
    increase: float


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
        start_value=items[0].value if items else None,
        end_value=items[-1].value if items else None,
    )


def _is_night(hour: int) -> bool:
    return hour >= NIGHT_START or hour < NIGHT_END
