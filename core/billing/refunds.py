"""Refunds, partial or full, through YooKassa and recorded here; the payer is told."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.billing import notices, yookassa
from core.models import Payment, Refund

_UTC = ZoneInfo("UTC")


class NotRefundable(Exception):
    """No such payment, or the amount is not between one kopeck and what is left of it."""


@dataclass(frozen=True, slots=True)
class Refunded:
    payment_id: int
    amount: int
    left: int  # what could still be refunded


async def refund(session: AsyncSession, payment_id: int, amount: int | None, reason: str) -> Refunded:
    """Refund `amount` kopecks of an applied payment (None: all that is left) and tell its payer. Commits.

    The idempotence key names the payment and how much was refunded before, so pressing twice (or a retry
    after a lost answer) yields the one refund YooKassa already made, recorded once by its UNIQUE id.
    """
    payment = await session.get(Payment, payment_id, with_for_update=True)
    if payment is None:
        raise NotRefundable(f"no payment {payment_id}")
    before = await _refunded(session, payment_id)
    amount = payment.amount - before if amount is None else amount
    if not 0 < amount <= payment.amount - before:
        raise NotRefundable(f"amount must be between 0.01 and {(payment.amount - before) / 100:.2f}")
    key = f"refund-{payment.id}-{before}-{amount}"
    remote = await yookassa.refund(payment.yookassa_id, amount, reason[:200], key)
    await session.execute(
        insert(Refund)
        .values(
            yookassa_id=remote.id,
            payment_id=payment.id,
            amount=remote.amount,
            status=remote.status,
            reason=reason[:200],
        )
        .on_conflict_do_nothing(index_elements=[Refund.yookassa_id])
    )
    await notices.queue(
        session, payment.user_id, "refunded", f"billing:refund:{remote.id}", amount=remote.amount
    )
    await session.commit()
    return Refunded(payment.id, remote.amount, payment.amount - before - remote.amount)


async def _refunded(session: AsyncSession, payment_id: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(Refund.payment_id == payment_id)
    )
    return int(total or 0)
