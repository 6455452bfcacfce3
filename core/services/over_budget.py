"""A device over its message budget (SPEC section 3: 10 messages/s, bursts of 6 000): its owner is told once
a day. The processor drops the excess; this only queues the owner's notice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import notify
from core.models import Device, OutboxMessage, UserDevice

OVER_BUDGET_KIND = "device_over_budget"


async def tell_owner(session: AsyncSession, device_id: int, dropped: int, now: datetime) -> bool:
    """Queue the owner's notice unless one was queued for this device today (UTC); True if queued."""
    row = (
        await session.execute(
            select(Device.name, Device.device_uid, UserDevice.user_id)
            .join(UserDevice, (UserDevice.device_id == Device.id) & (UserDevice.role == "owner"))
            .where(Device.id == device_id)
        )
    ).first()
    if row is None:
        return False
    name, uid, owner_id = row
    payload = {"device_id": device_id, "device_name": name or uid, "dropped": dropped}
    queued = await session.execute(
        insert(OutboxMessage)
        .values(
            user_id=owner_id,
            kind=OVER_BUDGET_KIND,
            payload=payload,
            dedup_key=f"over-budget:{device_id}:{now.date().isoformat()}",
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(OutboxMessage.id)
    )
    if queued.scalar() is None:
        return False
    await notify.notify(session, notify.OUTBOX, OVER_BUDGET_KIND)
    return True
