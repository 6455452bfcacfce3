"""Threshold alerts on the ingest side: a sink that feeds committed readings to the alert engine.

It only calls core.services (the rules live there). Ingest never waits for it: the sink hands readings to a
worker task, which evaluates whatever has piled up meanwhile in one transaction. (Offline / back online is
processor.presence.)
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import METRICS
from core.retry import is_transient, run_rounds
from core.services.alerting import DeviceReading, evaluate_batch
from processor.counters import Counters
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
