"""Billing's scheduled jobs, each once per cluster under an advisory lock.

`invoices`: the month's invoices and their automatic charges (hourly on the 1st). `grace` (hourly): today's
retry of declined charges, then pausing the accounts whose invoice is overdue.

The invoice job runs every hour of the 1st because an invoice waits for the month to end in its user's time
zone (core.billing.invoicing): the hours of the 1st in UTC cover every zone from UTC+14 to UTC−12.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.billing import cycle, yookassa
from core.billing.cycle import Summary
from core.billing.months import Month
from core.billing.plan import Plan
from core.settings import BillingSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

# Fixed 64-bit numbers, the same in every replica: the advisory locks of the billing jobs.
INVOICES_LOCK = 0x5A_B111_0001
GRACE_LOCK = 0x5A_B111_0002


async def invoices(
    sessionmaker: async_sessionmaker[AsyncSession], settings: BillingSettings, month: Month, now: datetime
) -> Summary | None:
    """Issue and charge `month`; None when another replica is doing it right now."""
    return await _locked(
        sessionmaker,
        INVOICES_LOCK,
        lambda: cycle.run_month(sessionmaker, month, Plan.of(settings), settings.billing_grace_days, now),
    )


async def grace(
    sessionmaker: async_sessionmaker[AsyncSession], settings: BillingSettings, now: datetime
) -> Summary | None:
    return await _locked(
        sessionmaker, GRACE_LOCK, lambda: cycle.run_grace(sessionmaker, settings.billing_free_devices, now)
    )


async def _locked(
    sessionmaker: async_sessionmaker[AsyncSession], key: int, work: Callable[[], Awaitable[T]]
) -> T | None:
    # A session-level lock on a connection of its own: the work spans many transactions and API calls. A
    # process that dies loses its connection, and with it the lock.
    async with sessionmaker() as lock:
        if not await lock.scalar(select(func.pg_try_advisory_lock(key))):
            return None
        try:
            return await work()
        finally:
            await lock.scalar(select(func.pg_advisory_unlock(key)))


async def _invoices_job(sessionmaker: async_sessionmaker[AsyncSession], settings: BillingSettings) -> None:
    now = datetime.now(UTC)
    await _guarded("invoices", invoices(sessionmaker, settings, Month.of(now.date()).previous(), now))


async def _grace_job(sessionmaker: async_sessionmaker[AsyncSession], settings: BillingSettings) -> None:
    await _guarded("grace", grace(sessionmaker, settings, datetime.now(UTC)))


async def _guarded(name: str, run: Awaitable[Summary | None]) -> None:
    try:
        summary = await run
    except (OperationalError, DBAPIError, OSError, yookassa.PaymentsUnavailable) as error:
        log.warning("billing job failed, next run retries job=%s error=%s", name, error)
        return
    if summary is None:
        log.info("billing job skipped: another replica runs it job=%s", name)


@contextlib.asynccontextmanager
async def billing_jobs(
    sessionmaker: async_sessionmaker[AsyncSession], settings: BillingSettings
) -> AsyncIterator[AsyncIOScheduler]:
    scheduler = AsyncIOScheduler(timezone=UTC)
    common = {
        "args": [sessionmaker, settings],
        "max_instances": 1,
        "coalesce": True,
        "misfire_grace_time": 3600,
    }
    scheduler.add_job(_invoices_job, "cron", day=1, minute=5, id="billing_invoices", **common)
    scheduler.add_job(
        _grace_job, "interval", hours=1, id="billing_grace", next_run_time=datetime.now(UTC), **common
    )
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
