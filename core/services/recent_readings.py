"""The last few readings of a device as a list: the alert notice's "history" until charts take over."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Telemetry
from core.services.access import Action
from core.services.devices import authorize
from core.services.readings import Reading


async def recent_readings(
    session: AsyncSession, user_id: int, device_id: int, limit: int = 10
) -> list[Reading]:
    """Up to `limit` newest readings, newest first; AccessDenied unless the caller may view the device."""
    await authorize(session, user_id, device_id, Action.VIEW)
    rows = await session.scalars(
        select(Telemetry).where(Telemetry.device_id == device_id).order_by(Telemetry.ts.desc()).limit(limit)
    )
    return [Reading(row.ts, row.co2, row.temperature, row.humidity, row.pm25, row.voc) for row in rows]
