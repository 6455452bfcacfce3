"""The digest job (APScheduler): queueing the morning digests; `python -m bot.jobs digests` runs it by hand.

Every few minutes the job queues the digests of users whose local digest hour has come (core.services.digest
keeps it to one per user and local day). Several bot replicas may run the job at the same moment; a
PostgreSQL advisory lock lets one of them do the work and the others skip (SPEC section 10).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.alerts.presence import MIN_SILENCE
from core.services import digest

logger = logging.getLogger(__name__)

# Any fixed 64-bit number, the same in every replica: the advisory lock of the digest job.
DIGEST_LOCK = 0x5A_D16E57
# The digest goes out within this many minutes after the user's hour.
DIGEST_EVERY_MINUTES = 5
BATCH = 500


async def queue_digests(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, min_silence: timedelta = MIN_SILENCE
) -> int | None:
    """Queue every digest due at `now`; how many users were due, or None when another replica holds the lock.
    `min_silence` is OFFLINE_MIN_SILENCE_SECONDS (core.settings.PresenceSettings).

    The transaction-scoped lock is released by the commit, also if this process dies midway.
    """
    queued = 0
    async with sessionmaker() as session:
        locked = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": DIGEST_LOCK})
        if not locked:
            return None
        while True:
            due = await digest.queue_due_digests(session, now, BATCH, min_silence)
            queued += due
            if due < BATCH:
                break
        await session.commit()
    return queued


async def _digest_job(sessionmaker: async_sessionmaker[AsyncSession], min_silence: timedelta) -> None:
    try:
        queued = await queue_digests(sessionmaker, datetime.now(UTC), min_silence)
    except (OperationalError, DBAPIError, OSError) as error:
        logger.warning("digest job failed, next run retries error=%s", error)
        return
    if queued is None:
        logger.info("digest job skipped: another replica runs it")
    elif queued:
        logger.info("digests queued users=%s", queued)


@contextlib.asynccontextmanager
async def scheduled_jobs(
    sessionmaker: async_sessionmaker[AsyncSession], min_silence: timedelta = MIN_SILENCE
) -> AsyncIterator[AsyncIOScheduler]:
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        _digest_job,
        "interval",
        minutes=DIGEST_EVERY_MINUTES,
        args=[sessionmaker, min_silence],
        id="morning_digest",
        # At start too: a bot restarted at 08:02 still sends the 08:00 digests.
        next_run_time=datetime.now(UTC),
        # One run at a time; runs missed while busy are merged into one.
        max_instances=1,
        coalesce=True,
        # A busy event loop (start-up imports, a long run) must delay the job, not skip it.
        misfire_grace_time=DIGEST_EVERY_MINUTES * 60,
    )
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
