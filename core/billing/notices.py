"""Billing messages to a user, queued in the notification outbox in the caller's transaction, once each."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.billing.months import Month
from core.models import Invoice, OutboxMessage

BILLING_KIND = "billing"
# What the bot says: paid (a payment was applied), charge_failed (autopay declined or YooKassa unreachable),
# paused (grace period over), refunded.
EVENTS = ("paid", "charge_failed", "paused", "refunded")


async def queue(session: AsyncSession, user_id: int, event: str, dedup: str, **payload: Any) -> None:
    """Queue one billing message; a second one with the same `dedup` is dropped by the outbox's constraint."""
    assert event in EVENTS, event
    statement = (
        insert(OutboxMessage)
        .values(user_id=user_id, kind=BILLING_KIND, payload={"event": event, **payload}, dedup_key=dedup[:64])
        .on_conflict_do_nothing(index_elements=[OutboxMessage.dedup_key])
    )
    await session.execute(statement)


async def queue_for_invoice(
    session: AsyncSession, invoice: Invoice, event: str, dedup: str, **payload: Any
) -> None:
    """A billing message about `invoice`: its number, amount and month come along for the text."""
    month = str(Month.of(invoice.month))
    await queue(
        session,
        invoice.user_id,
        event,
        dedup,
        invoice_id=invoice.id,
        amount=invoice.amount,
        month=month,
        **payload,
    )
