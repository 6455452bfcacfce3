"""Alerts on the ingest side: a sink that feeds committed readings to the engine, and a periodic sweep.

Both only call core.services (the rules live there). Ingest never waits for them: the sink hands readings
to a worker task, which evaluates whatever has piled up meanwhile in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import METRICS
from core.retry import is_transient, run_rounds
from core.services import offline
from core.services.alerting import DeviceReading, evaluate_batch
from processor.counters import Counters
from processor.presence import LAST_SEEN_PRECISION
from processor.sinks import CommittedBatch, FreshReading

log = logging.getLogger(__name__)

# While PostgreSQL is away readings pile up; beyond this many the oldest go (they would be backlog by then).
MAX_PENDING = 200_000


def _reading(item: FreshReading) -> DeviceReading:
    values = {metric: getattr(item.reading, metric) for metric in METRICS}
    return DeviceReading(item.device_id, datetime.fromtimestamp(item.reading.ts, UTC), values)


class AlertFeed:
    """The `AfterCommit` sink of the alert engine; `run` is its worker."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], counters: Counters) -> None:
        self._sessionmaker = sessionmaker
        self._counters = counters
        self._pending: list[DeviceReading] = []
        self._ready = asyncio.Event()

    async def committed(self, batch: CommittedBatch) -> None:
        if batch.readings:
            self._pending.extend(_reading(item) for item in batch.readings)
            overflow = len(self._pending) - MAX_PENDING
            if overflow > 0:
                del self._pending[:overflow]
                self._counters.add("alert_readings_dropped", overflow)
            self._ready.set()

    async def run(self) -> None:
        await run_rounds(self._ready, self._round, what="alert_evaluation", log=log)

    async def _round(self) -> None:
        readings, self._pending = self._pending, []
        try:
            await self._evaluate(readings)
        except Exception as error:
            if is_transient(error):
                self._pending[:0] = readings  # for the next try, with whatever arrived meanwhile
                raise
            # A bug: its readings are given up, so one bad batch cannot stop alerting for everyone.
            log.exception("alert evaluation failed readings=%s", len(readings))

    async def _evaluate(self, readings: list[DeviceReading]) -> None:
        async with self._sessionmaker() as session:
            outcome = await evaluate_batch(session, readings, datetime.now(UTC))
            await session.commit()
        self._counters.add("alert_transitions", outcome.transitions)


class AlertSweep:
    """Every few seconds: offline by silence or Last Will, back online by status.

    Safe with several processors: each device's episode is taken by one of them. (Morning digests are the
    bot's APScheduler job, bot/scheduler.py.)
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        connected: Callable[[], bool],
        interval: float = 5.0,
    ) -> None:
        self._sessionmaker = sessionmaker
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
                await _guarded("presence sweep", self._presence)
            await asyncio.sleep(self._interval)

    async def _presence(self) -> None:
        async with self._sessionmaker() as session:
            now = datetime.now(UTC)
            gone = await offline.sweep_silent_devices(
                session, now, self._listening_since, last_seen_lag=LAST_SEEN_PRECISION
            )
            back = await offline.sweep_back_online(session, now)
            await session.commit()
        if gone or back:
            log.info("presence offline=%s online=%s", len(gone), len(back))


async def _guarded(what: str, work: Callable[[], Awaitable[None]]) -> None:
    """Run `work`; PostgreSQL away is a warning (the next round tries again), a bug is logged loudly."""
    try:
        await work()
    except Exception as error:
        if is_transient(error):
            log.warning("%s postponed error=%r", what, error)
        else:
            log.exception("%s failed", what)
