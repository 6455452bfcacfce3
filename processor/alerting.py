"""Threshold alerts on the ingest side: a sink that feeds committed readings to the alert engine.

It only calls core.services (the rules live there). Ingest never waits for it: the sink hands readings to a
worker task, which evaluates whatever has piled up meanwhile in one transaction against the rules and states
it keeps in memory (core.services.alerting.RuleBook; a device's entries are reloaded when the ALERTING_CHANGED
NOTIFY names it, everything when the LISTEN connection was lost). (Offline / back online is
processor.presence; the back-online notice rides along with each evaluation.)
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.retry import on_live_connection, retry_database
from core.services.alerting import DeviceReading, RuleBook
from processor.backlog import Backlog
from processor.counters import Counters
from processor.sinks import CommittedBatch, FreshReading

log = logging.getLogger(__name__)

# While PostgreSQL is away readings pile up; beyond this many the oldest go (they would be backlog by then).
MAX_PENDING = 200_000


def _now() -> datetime:
    return datetime.now(UTC)


def _reading(item: FreshReading) -> DeviceReading:
    return DeviceReading(item.device_id, datetime.fromtimestamp(item.reading.ts, UTC), item.reading.metrics())


class AlertFeed:
    """The `AfterCommit` sink of the alert engine; `run` is its worker. `sessionmaker`: of an engine
    without pre-ping (core.db.make_engine), each round checks its connection itself."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], counters: Counters) -> None:
        self._sessionmaker = sessionmaker
        self._counters = counters
        self._book = RuleBook()
        self._readings: Backlog[FreshReading] = Backlog("alert_readings", MAX_PENDING, counters)

    async def committed(self, batch: CommittedBatch) -> None:
        self._readings.add(batch.readings)

    async def run(self) -> None:
        # Loaded before the first readings arrive, so that `urgent` knows the rules from the start.
        await retry_database(self._load, what="alert_rules", log=log)
        await self._readings.run(self._evaluate)

    async def _load(self) -> None:
        async with self._sessionmaker() as session:
            await self._book.load(session)

    def urgent(self, item: FreshReading) -> bool:
        """Whether a reading just received (not stored yet) probably brings a notice: the writer then
        commits its batch at once instead of at the next interval, so the notice does not wait for it."""
        return self._book.crosses(item.device_id, item.reading, _now)

    def changed(self, payload: str) -> None:
        """The ALERTING_CHANGED NOTIFY: the device it names is reloaded before the next evaluation."""
        try:
            self._book.changed(int(payload))
        except ValueError:
            log.warning("alerting_changed with a payload that is no device id payload=%r", payload[:64])
            self._book.forget_all()

    def reload(self) -> None:
        """Everything is reloaded before the next evaluation (NOTIFYs may have been missed)."""
        self._book.forget_all()

    async def _evaluate(self, items: list[FreshReading]) -> None:
        seen = {item.device_id for item in items}
        # Only devices with rules need a reading in the engine's terms; the others only say "I am here".
        readings = [_reading(item) for item in items if self._book.watches(item.device_id)]
        now = datetime.now(UTC)
        try:
            async with self._sessionmaker() as session:
                # Sessions come without pre-ping (three round trips a round): a connection PostgreSQL
                # dropped is found by the round's first statement and the round runs again on a new one.
                outcome = await on_live_connection(
                    session, lambda: self._book.evaluate(session, readings, now, seen=seen)
                )
                await session.commit()
        except BaseException:
            self._book.forget_all()  # the book may hold states the failed transaction did not store
            raise
        self._counters.add("alert_transitions", outcome.transitions)
