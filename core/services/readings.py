"""The latest reading of a device and how good its air is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.catalogue import METRIC_NAMES
from core.models import Telemetry


class Co2Level(StrEnum):
    GOOD = "good"
    FAIR = "fair"
    HIGH = "high"
    CRITICAL = "critical"


# Upper bounds (exclusive) of each level in ppm; 1000 and 2000 match the default alert and critical levels.
_CO2_BOUNDS = ((800.0, Co2Level.GOOD), (1000.0, Co2Level.FAIR), (2000.0, Co2Level.HIGH))


def co2_level(ppm: float) -> Co2Level:
    """The comfort level of a CO2 concentration."""
    for bound, level in _CO2_BOUNDS:
        if ppm < bound:
            return level
    return Co2Level.CRITICAL


_AIR = ("co2", "temperature", "humidity", "pm25", "voc")


@dataclass(frozen=True, slots=True)
class Reading:
    ts: datetime
    co2: float | None = None
    temperature: float | None = None
    humidity: float | None = None
    pm25: float | None = None
    voc: float | None = None
    # The catalogue's other metrics this reading carries (a meter's power, a host's CPU…).
    more: Mapping[str, float] = field(default_factory=dict)

    def value(self, metric: str) -> float | None:
        return getattr(self, metric) if metric in _AIR else self.more.get(metric)


def reading_of(ts: datetime, values: Mapping[str, float | None]) -> Reading:
    """A Reading from any mapping of catalogue metric names (a telemetry row, a query's columns)."""
    more = {
        name: float(value)
        for name in METRIC_NAMES
        if name not in _AIR and (value := values.get(name)) is not None
    }
    co2, temperature, humidity, pm25, voc = (values.get(name) for name in _AIR)
    return Reading(ts, co2, temperature, humidity, pm25, voc, more)


async def latest_reading(session: AsyncSession, device_id: int) -> Reading | None:
    """The newest telemetry row of a device; the (device_id, ts) key makes this one index probe."""
    row = await session.scalar(
        select(Telemetry).where(Telemetry.device_id == device_id).order_by(Telemetry.ts.desc()).limit(1)
    )
    if row is None:
        return None
    return reading_of(row.ts, {name: getattr(row, name) for name in METRIC_NAMES})
