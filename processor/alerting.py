"""Threshold alerts on the ingest side: a sink that feeds committed readings to the alert engine.

It only calls core.services (the rules live there). Ingest never waits for it: the sink hands readings to a
worker task, which evaluates whatever has piled up meanwhile in one transaction. (Offline / back online is
processor.presence.)
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.services.alerting import DeviceReading, evaluate_batch
from processor.backlog import Backlog
from processor.counters import Counters
from processor.sinks import CommittedBatch, FreshReading

log = logging.getLogger(__name__)

# While PostgreSQL is away readings pile up; beyond this many the oldest go (they would be backlog by then).
MAX_PENDING = 200_000


def _reading(item: FreshReading) -> DeviceReading:
    return DeviceReading(item.device_id, datetime.fromtimestamp(item.reading.ts, UTC), item.reading.metrics())


class AlertFeed:
    """The `AfterCommit` sink of the alert engine; `run` is its worker."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], counters: Counters) -> None:
        self._sessionmaker = sessionmaker
        self._counters = counters
        self._readings: Backlog[DeviceReading] = Backlog("alert_readings", MAX_PENDING, counters)

    async def committed(self, batch: CommittedBatch) -> None:
        self._readings.add(_reading(item) for item in batch.readings)

    async def run(self) -> None:
        await self._readings.run(self._evaluate)

    async def _evaluate(self, readings: list[DeviceReading]) -> None:
        async with self._sessionmaker() as session:
            outcome = await evaluate_batch(session, readings, datetime.now(UTC))
            await session.commit()
        self._counters.add("alert_transitions", outcome.transitions)
