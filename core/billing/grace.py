"""The grace period: an invoice still unpaid at its due date pauses the owner's devices beyond the free ones.

Paused devices keep storing telemetry; their alerts, live mode and history wait until the invoice is paid
(core.billing.payments.apply lifts the pause in the same transaction that applies the payment).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.billing import notices
from core.billing.plan import paid_devices
from core.models import BillingPause, Invoice, UserDevice


class DevicePaused(Exception):
    """The device is paused by an overdue invoice: no live mode or history until it is paid."""

    reason = "paused"


async def pause_overdue(session: AsyncSession, free_devices: int, now: datetime) -> list[int]:
    """Pause the paid devices of every user with an overdue open invoice; the users newly paused.

    Runs in the caller's transaction and never commits. Running it again pauses nothing new.
    """
    overdue = await session.scalars(
        select(Invoice)
        .where(Invoice.status == "open", Invoice.due_at <= now)
        .where(~exists().where(BillingPause.invoice_id == Invoice.id))
        .order_by(Invoice.id)
    )
    paused = []
    for invoice in overdue:
        owned = list(
            await session.scalars(
                select(UserDevice.device_id)
                .where(UserDevice.user_id == invoice.user_id, UserDevice.role == "owner")
                .order_by(UserDevice.created_at, UserDevice.device_id)
            )
        )
        devices = paid_devices(owned, free_devices)
        if not devices:
            continue
        await session.execute(
            insert(BillingPause)
            .values([{"device_id": d, "user_id": invoice.user_id, "invoice_id": invoice.id} for d in devices])
            .on_conflict_do_nothing()
        )
        await notices.queue_for_invoice(
            session, invoice, "paused", f"billing:paused:{invoice.id}", devices=len(devices)
        )
        paused.append(invoice.user_id)
    return paused


async def paused_among(session: AsyncSession, device_ids: Sequence[int]) -> set[int]:
    """Which of `device_ids` an overdue invoice pauses (alerts, live mode, history)."""
    if not device_ids:
        return set()
    rows = await session.scalars(select(BillingPause.device_id).where(BillingPause.device_id.in_(device_ids)))
    return set(rows)


async def ensure_not_paused(session: AsyncSession, device_id: int) -> None:
    """DevicePaused when the device is paused; the check history and live mode make before serving it."""
    if await paused_among(session, [device_id]):
        raise DevicePaused(device_id)


def not_paused(device_id: Any) -> ColumnElement[bool]:
    """A WHERE clause: the device (a column) is not paused. Alert fan-out leaves paused devices out."""
    return ~exists().where(BillingPause.device_id == device_id)


async def lift_all(session: AsyncSession) -> int:
    """Lift every pause (billing was switched off: nothing is ever paused then). Commits; how many."""
    result = await session.execute(delete(BillingPause))
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
