"""The operators' revenue figures: money received and refunded in a month, in total and per user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from core.billing.months import Month
from core.models import Payment, Refund, User

_UTC = ZoneInfo("UTC")


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
