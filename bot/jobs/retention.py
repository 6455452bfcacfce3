"""The daily retention job (core.services.retention), once per cluster under its advisory lock."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.services import retention
from core.settings import RetentionSettings

log = logging.getLogger(__name__)


def describe(pruned: retention.Pruned | None) -> str:
    if pruned is None:
        return "retention: another instance is running this job; nothing done"
    return (
        f"retention: partitions dropped {pruned.partitions_dropped},"
        f" unpaired devices {pruned.unpaired_devices}, pairing codes {pruned.pairing_codes},"
        f" pairing attempts {pruned.pairing_attempts}, invitations {pruned.invitations},"
        f" notices {pruned.notices}"
    )


async def _retention_job(sessionmaker: async_sessionmaker[AsyncSession], settings: RetentionSettings) -> None:
    try:
        pruned = await retention.run(sessionmaker, datetime.now(UTC), settings.telemetry_retention_days)
    except (OperationalError, DBAPIError, OSError) as error:
        log.warning("retention job failed, next run retries error=%s", error)
        return
    log.info("%s", describe(pruned))


@contextlib.asynccontextmanager
async def retention_job(
    sessionmaker: async_sessionmaker[AsyncSession], settings: RetentionSettings
) -> AsyncIterator[AsyncIOScheduler]:
    scheduler = AsyncIOScheduler(timezone=UTC)
    # At a quiet hour, not at start: partitions already exist a week ahead (migration, previous runs), and
    # the processor creates a missing day's partition itself.
    scheduler.add_job(
        _retention_job,
        "cron",
        hour=3,
        minute=17,
        args=[sessionmaker, settings],
        id="retention",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=6 * 3600,
    )
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
