"""What /billing shows a user: the plan, their devices, invoices, saved card, autopay and paused devices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.billing.plan import Plan
from core.models import BillingPause, Invoice, PaymentMethod, UserDevice

PAST_INVOICES = 6


@dataclass(frozen=True, slots=True)
class InvoiceView:
    id: int
    month: date
    amount: int
    devices: int
    status: str
    due_at: datetime
    overdue: bool


@dataclass(frozen=True, slots=True)
class Account:
    plan: Plan
    devices: int
    invoices: list[InvoiceView]  # newest first
    card: str | None
    autopay: bool
    paused: int

    @property
    def current(self) -> InvoiceView | None:
        return self.invoices[0] if self.invoices else None

    @property
    def unpaid(self) -> InvoiceView | None:
        """The oldest open invoice: the one the Pay button pays."""
        open_ones = [invoice for invoice in self.invoices if invoice.status == "open"]
        return open_ones[-1] if open_ones else None


async def account(session: AsyncSession, user_id: int, plan: Plan, now: datetime) -> Account:
    devices = await session.scalar(
        select(func.count()).where(UserDevice.user_id == user_id, UserDevice.role == "owner")
    )
    rows = await session.scalars(
        select(Invoice)
        .where(Invoice.user_id == user_id)
        .order_by(Invoice.month.desc())
        .limit(PAST_INVOICES + 1)
    )
    method = await session.get(PaymentMethod, user_id)
    paused = await session.scalar(select(func.count()).where(BillingPause.user_id == user_id))
    return Account(
        plan=plan,
        devices=int(devices or 0),
        invoices=[_view(invoice, now) for invoice in rows],
        card=method.title if method is not None else None,
        autopay=bool(method is not None and method.autopay),
        paused=int(paused or 0),
    )


async def set_autopay(session: AsyncSession, user_id: int, enabled: bool) -> bool:
    """Switch autopay; False when the user has no saved card to charge. Commits."""
    result = await session.execute(
        update(PaymentMethod).where(PaymentMethod.user_id == user_id).values(autopay=enabled)
    )
    await session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _view(invoice: Invoice, now: datetime) -> InvoiceView:
    return InvoiceView(
        id=invoice.id,
        month=invoice.month,
        amount=invoice.amount,
        devices=invoice.devices,
        status=invoice.status,
        due_at=invoice.due_at,
        overdue=invoice.status == "open" and invoice.due_at <= now,
    )
