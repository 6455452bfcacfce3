"""Each program's heartbeat (node_health) and the database check of its /healthz."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.retry import DATABASE_ERRORS
from core.services import node_health
from core.web import Check

log = logging.getLogger(__name__)

BEAT_SECONDS = 30.0


async def heartbeat(
    sessionmaker: async_sessionmaker[AsyncSession], program: str, interval: float = BEAT_SECONDS
) -> None:
    """Beat now and every `interval` seconds until cancelled; a missed beat (database away) is only logged."""
    started_at = datetime.now(UTC)
    while True:
        try:
            async with sessionmaker() as session:
                await node_health.beat(session, program, started_at, datetime.now(UTC))
                await session.commit()
        except DATABASE_ERRORS as error:
            log.warning("heartbeat missed program=%s error=%s", program, type(error).__name__)
        await asyncio.sleep(interval)


def database_check(engine: AsyncEngine) -> Check:
    """True while PostgreSQL answers a trivial query (core.web bounds the wait)."""

    async def database() -> bool:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except DATABASE_ERRORS:
            return False
        return True

    return database
