"""Runs the delivery worker and its NOTIFY listener beside polling, supervised, and stops them gracefully."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg
from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.broadcast import BroadcastProgress
from bot.delivery.settings import DeliverySettings
from bot.delivery.worker import DeliveryWorker
from bot.texts import Catalogue
from core import notify
from core.db import asyncpg_dsn
from core.listener import Listener
from core.supervisor import Supervisor

logger = logging.getLogger(__name__)

# Shown in pg_stat_activity, so an operator (or a test) can tell the LISTEN connection apart.
APPLICATION_NAME = "smartair_outbox_listener"


@contextlib.asynccontextmanager
async def delivering(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogue: Catalogue,
    database_url: str,
    settings: DeliverySettings,
    *,
    tasks: Supervisor,
) -> AsyncIterator[DeliveryWorker]:
    """Deliver the outbox while the block runs; on exit (SIGTERM stops polling) finish sends under way and
    hand back the rest."""
    worker = DeliveryWorker(bot, sessionmaker, catalogue, settings, database_url=database_url)
    dsn = asyncpg_dsn(database_url)

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(dsn, timeout=10, server_settings={"application_name": APPLICATION_NAME})

    async def catch_up() -> None:
        worker.wake.set()  # whatever was queued while we were not listening

    listener = Listener(connect, {notify.OUTBOX: lambda _payload: worker.wake.set()}, catch_up)
    tasks.start("outbox_listen", listener.run)
    tasks.start("broadcast_progress", BroadcastProgress(bot, sessionmaker, catalogue).run)
    worker.start(tasks)
    logger.info("delivery worker started lease_seconds=%s", settings.lease_seconds)
    try:
        yield worker
    finally:
        await worker.stop()
        logger.info("delivery worker stopped")
