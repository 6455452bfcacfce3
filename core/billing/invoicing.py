"""Issuing the month's invoices from the ownership history; idempotent by the (user, month) constraint.

The month an invoice covers is the user's local calendar month (their time zone, as everything else they
read): a device paired at 00:30 on 1 December in Moscow is December's, although it is still 30 November in
UTC. An invoice is therefore issued only once the month is over in the user's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.billing.months import Month
from core.billing.plan import Draft, Ownership, Plan, draft_invoice
from core.models import DeviceOwnership, Invoice, User

# Time zones reach ±14 h from UTC: every local month lies within these margins of the UTC month.
_ZONE_MARGIN = timedelta(hours=15)


@dataclass(frozen=True, slots=True)
class Issued:
    invoice_id: int
    user_id: int
    amount: int


async def issue_invoices(
    session: AsyncSession, month: Month, plan: Plan, grace_days: int, now: datetime
) -> list[Issued]:
    """Issue `month`'s invoices of every user whose local month is over; only those not issued before.

    Runs in the caller's transaction and never commits. A user owing nothing gets no invoice.
    """
    issued = []
    for user, ownerships in (await _ownerships_by_user(session, month)).items():
        zone = ZoneInfo(user.timezone)
        if month.end(zone) > now:
            continue
        draft = draft_invoice(ownerships, month, zone, plan)
        if draft.total <= 0:
            continue
        invoice_id = await _insert_once(session, user.id, draft, now, grace_days)
        if invoice_id is not None:
            issued.append(Issued(invoice_id, user.id, draft.total))
    return issued


async def _ownerships_by_user(session: AsyncSession, month: Month) -> dict[User, list[Ownership]]:
    utc = ZoneInfo("UTC")
    start, end = month.start(utc) - _ZONE_MARGIN, month.end(utc) + _ZONE_MARGIN
    rows = await session.execute(
        select(User, DeviceOwnership)
        .join(DeviceOwnership, DeviceOwnership.user_id == User.id)
        .where(
            DeviceOwnership.started_at < end,
            or_(DeviceOwnership.ended_at.is_(None), DeviceOwnership.ended_at > start),
        )
        .order_by(User.id)
    )
    grouped: dict[User, list[Ownership]] = {}
    for user, row in rows:
        grouped.setdefault(user, []).append(Ownership(row.device_id, row.started_at, row.ended_at))
    return grouped


async def _insert_once(
    session: AsyncSession, user_id: int, draft: Draft, now: datetime, grace_days: int
) -> int | None:
    lines = [
        {"device_id": line.device_id, "days": line.days, "amount": line.amount, "free": line.free}
        for line in draft.lines
    ]
    statement = (
        insert(Invoice)
        .values(
            user_id=user_id,
            month=draft.month.first_day,
            amount=draft.total,
            devices=draft.devices,
            lines=lines,
            issued_at=now,
            due_at=now + timedelta(days=grace_days),
        )
        .on_conflict_do_nothing(index_elements=[Invoice.user_id, Invoice.month])
        .returning(Invoice.id)
    )
    return await session.scalar(statement)
