"""The latest reading of a device and how good its air is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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


@dataclass(frozen=True, slots=True)
class Reading:
    ts: datetime
    co2: float | None = None
    temperature: float | None = None
    humidity: float | None = None
    pm25: float | None = None
    voc: float | None = None


async def latest_reading(session: AsyncSession, device_id: int) -> Reading | None:
    """The newest telemetry row of a device; the (device_id, ts) key makes this one index probe."""
    row = await session.scalar(
        select(Telemetry).where(Telemetry.device_id == device_id).order_by(Telemetry.ts.desc()).limit(1)
    )
    if row is None:
        return None
    return Reading(row.ts, row.co2, row.temperature, row.humidity, row.pm25, row.voc)
