"""Runs the delivery worker and its NOTIFY listener beside polling, and stops them gracefully."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.listener import listen
from bot.delivery.settings import DeliverySettings
from bot.delivery.worker import DeliveryWorker
from bot.texts import Catalogue

logger = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def delivering(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogue: Catalogue,
    database_url: str,
    settings: DeliverySettings,
) -> AsyncIterator[DeliveryWorker]:
    """Deliver the outbox while the block runs; on exit (SIGTERM stops polling) finish sends under way and
    hand back the rest."""
    worker = DeliveryWorker(bot, sessionmaker, catalogue, settings)
    stop_listening = asyncio.Event()
    listener = asyncio.create_task(listen(database_url, worker.wake, stop_listening), name="outbox_listen")
    worker.start()
    logger.info("delivery worker started lease_seconds=%s", settings.lease_seconds)
    try:
        yield worker
    finally:
        stop_listening.set()
        await worker.stop()
        await asyncio.wait({listener}, timeout=10)
        listener.cancel()
        logger.info("delivery worker stopped")
