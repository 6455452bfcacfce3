"""Refunds, partial or full, through YooKassa and recorded here; the operators' revenue figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.billing import notices, yookassa
from core.billing.months import Month
from core.models import Payment, Refund, User

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


@dataclass(frozen=True, slots=True)
class UserRevenue:
    user_id: int
    telegram_id: int
    name: str
    paid: int
    payments: list[int]
    refunded: int


@dataclass(frozen=True, slots=True)
class Revenue:
    month: Month
    paid: int
    refunded: int
    users: list[UserRevenue]  # biggest payers first

    @property
    def net(self) -> int:
        return self.paid - self.refunded


async def revenue(session: AsyncSession, month: Month) -> Revenue:
    """Money received and refunded during `month` (UTC), in total and per user, biggest payers first.

    Cash basis: a payment counts in the month it was applied, a refund in the month it was made, whichever
    invoice they concern, so a month's figure is final once the month is over.
    """
    start, end = month.start(_UTC), month.end(_UTC)
    paid_rows = await session.execute(
        select(
            Payment.user_id,
            func.sum(Payment.amount).label("paid"),
            func.array_agg(aggregate_order_by(Payment.id, Payment.id)).label("payments"),
        )
        .where(Payment.applied_at >= start, Payment.applied_at < end)
        .group_by(Payment.user_id)
    )
    refund_rows = await session.execute(
        select(Payment.user_id, func.sum(Refund.amount))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.created_at >= start, Refund.created_at < end)
        .group_by(Payment.user_id)
    )
    paid = {row.user_id: (int(row.paid), list(row.payments)) for row in paid_rows}
    refunded = {user_id: int(amount) for user_id, amount in refund_rows}
    people = await session.execute(
        select(User.id, User.telegram_id, func.coalesce(User.username, User.first_name, "")).where(
            User.id.in_(set(paid) | set(refunded))
        )
    )
    users = [
        UserRevenue(user_id, telegram_id, name, *paid.get(user_id, (0, [])), refunded.get(user_id, 0))
        for user_id, telegram_id, name in people
    ]
    users.sort(key=lambda u: (-u.paid, u.user_id))
    return Revenue(month, sum(u.paid for u in users), sum(u.refunded for u in users), users)


async def month_revenue(session: AsyncSession, moment: datetime) -> Decimal:
    """Net roubles received in the (UTC) month containing `moment`: the /admin dashboard's figure."""
    figures = await revenue(session, Month.of(moment.astimezone(_UTC).date()))
    return Decimal(figures.net) / 100
