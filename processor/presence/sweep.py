"""The presence sweep: every few seconds, devices silent too long (or whose Last Will came) go offline, and
devices that spoke again come back online. The rules and the notices are core.services.presence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.alerts.presence import MIN_SILENCE
from core.retry import is_transient
from core.services import presence
from processor.presence.filter import LAST_SEEN_PRECISION

log = logging.getLogger(__name__)


class PresenceSweep:
    """Every few seconds: offline by silence or Last Will, back online by status.

    Safe with several processors: each device's episode is taken by one of them. (Morning digests are the
    bot's APScheduler job, bot/scheduler.py.)
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        connected: Callable[[], bool],
        interval: float = 5.0,
        min_silence: timedelta = MIN_SILENCE,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._min_silence = min_silence
        self._connected = connected
        self._interval = interval
        self._listening_since: datetime | None = None

    async def run(self) -> None:
        """Forever; the processor cancels it at shutdown (a half-done sweep is rolled back, nothing lost)."""
        while True:
            # Silence means something only while we listen: not while the broker is away, nor right after.
            if not self._connected():
                self._listening_since = None
            else:
                self._listening_since = self._listening_since or datetime.now(UTC)
                await self._guarded_sweep()
            await asyncio.sleep(self._interval)

    async def _guarded_sweep(self) -> None:
        """PostgreSQL away is a warning (the next round tries again); a bug is logged loudly, and the
        next round runs all the same."""
        try:
            await self._sweep()
        except Exception as error:
            if not is_transient(error):
                log.exception("presence sweep failed")
                return
            log.warning("presence sweep postponed error=%r", error)

    async def _sweep(self) -> None:
        async with self._sessionmaker() as session:
            now = datetime.now(UTC)
            gone = await presence.sweep_silent_devices(
                session,
                now,
                self._listening_since,
                last_seen_lag=LAST_SEEN_PRECISION,
                min_silence=self._min_silence,
            )
            back = await presence.sweep_back_online(session, now)
            await session.commit()
        if gone or back:
            log.info("presence offline=%s online=%s", len(gone), len(back))
