"""Devices over their message budget: the owner is told once a day (core.services.over_budget), off the
ingest path. Ingest only notes the device; a worker queues the notices."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.retry import run_rounds
from core.services import over_budget
from processor.counters import Counters

log = logging.getLogger(__name__)

_MAX_REMEMBERED = 100_000


class OverBudget:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], counters: Counters) -> None:
        self._sessionmaker = sessionmaker
        self._counters = counters
        self._dropped: dict[int, int] = {}
        self._told: dict[int, date] = {}  # device → the day its owner was told (the database decides too)
        self._wanted = asyncio.Event()

    def note(self, device_id: int) -> None:
        """A message of this device was dropped over budget (cheap: called at flood rate)."""
        if self._told.get(device_id) == datetime.now(UTC).date():
            return
        self._dropped[device_id] = self._dropped.get(device_id, 0) + 1
        self._wanted.set()

    async def run(self) -> None:
        await run_rounds(self._wanted, self._round, what="over_budget", log=log)

    async def _round(self) -> None:
        dropped, self._dropped = self._dropped, {}
        now = datetime.now(UTC)
        try:
            async with self._sessionmaker() as session:
                for device_id, count in dropped.items():
                    if await over_budget.tell_owner(session, device_id, count, now):
                        self._counters.add("over_budget_told")
                        log.info(
                            "owner told of a device over budget device_id=%s dropped=%s", device_id, count
                        )
                await session.commit()
        except BaseException:
            for device_id, count in dropped.items():  # for the next round
                self._dropped[device_id] = self._dropped.get(device_id, 0) + count
            raise
        if len(self._told) > _MAX_REMEMBERED:
            self._told.clear()
        self._told.update(dict.fromkeys(dropped, now.date()))
