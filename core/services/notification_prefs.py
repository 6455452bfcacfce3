"""A user's own notification choices: muting one device for a while, the morning digest on/off and hour."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import User, UserDevice
from core.services.access import Action
from core.services.devices import authorize

MUTE = timedelta(hours=1)


async def mute(session: AsyncSession, user_id: int, device_id: int, now: datetime) -> datetime:
    """Silence the device's notices for this user alone until now + 1 h; returns that moment. Commits.

    Checked against the caller's link to the device: a button's device id is a claim, not a fact.
    """
    await authorize(session, user_id, device_id, Action.NOTIFICATIONS)
    until = now + MUTE
    await session.execute(
        update(UserDevice)
        .where(UserDevice.user_id == user_id, UserDevice.device_id == device_id)
        .values(muted_until=until)
    )
    await session.commit()
    return until


async def set_digest(session: AsyncSession, user: User, enabled: bool, hour: int) -> None:
    """Turn the morning digest on or off and choose its local hour (0–23). Commits."""
    if not 0 <= hour <= 23:
        raise ValueError(f"digest hour out of range: {hour}")
    user.digest_enabled, user.digest_hour = enabled, hour
    await session.commit()
