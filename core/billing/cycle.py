"""The monthly run: issue a month's invoices, then charge those with a saved card and autopay on.

Both halves are idempotent: invoices by their (user, month) constraint, charges by one idempotence key per
invoice and UTC day. Running it twice issues and charges nothing new.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.billing import grace, payments
from core.billing.invoicing import issue_invoices
from core.billing.months import Month
from core.billing.plan import Plan
from core.models import Invoice, PaymentMethod

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Summary:
    issued: int
    charged: int
    failed: int


async def run_month(
    sessionmaker: async_sessionmaker[AsyncSession], month: Month, plan: Plan, grace_days: int, now: datetime
) -> Summary:
    """Issue `month`'s invoices, then charge that month's open invoices to saved cards."""
    async with sessionmaker() as session:
        issued = await issue_invoices(session, month, plan, grace_days, now)
        await session.commit()
    charged, failed = await charge_open(sessionmaker, now, month)
    log.info("billing month=%s issued=%s charged=%s failed=%s", month, len(issued), charged, failed)
    return Summary(len(issued), charged, failed)


async def charge_open(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, month: Month | None = None
) -> tuple[int, int]:
    """Charge open invoices (of `month`, or all) whose owner has autopay on; (charged, failed) today."""
    charged = failed = 0
    async with sessionmaker() as session:
        query = (
            select(Invoice, PaymentMethod)
            .join(PaymentMethod, PaymentMethod.user_id == Invoice.user_id)
            .where(Invoice.status == "open", PaymentMethod.autopay)
            .order_by(Invoice.id)
        )
        if month is not None:
            query = query.where(Invoice.month == month.first_day)
        for invoice, method in (await session.execute(query)).all():
            outcome = await payments.charge_saved_card(session, invoice, method, now)
            if outcome is payments.Outcome.APPLIED:
                charged += 1
            elif outcome is not None:
                failed += 1
    return charged, failed


async def run_grace(
    sessionmaker: async_sessionmaker[AsyncSession], free_devices: int, now: datetime
) -> Summary:
    """Today's automatic charge of every open invoice (a declined card is tried once a day), then pause the
    devices of users whose invoice is still overdue."""
    charged, failed = await charge_open(sessionmaker, now)
    async with sessionmaker() as session:
        paused = await grace.pause_overdue(session, free_devices, now)
        await session.commit()
    log.info("billing grace charged=%s failed=%s paused_users=%s", charged, failed, len(paused))
    return Summary(0, charged, failed)
