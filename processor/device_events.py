"""Device events after commit: `config_applied` and `command_result` are recorded, and the bot is told.

An `AfterCommit` sink: ingest hands it the batch's events and a worker records them, so ingest never waits.
Losing one (the processor dies between ack and record) heals by itself for configs: the agent confirms the
retained config again on every reconnect.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import notify
from core.retry import DATABASE_ERRORS, is_transient, run_rounds
from core.services import commands, desired_config
from processor.counters import Counters
from processor.sinks import CommittedBatch, ReceivedEvent

log = logging.getLogger(__name__)

CONFIG_APPLIED = "config_applied"
COMMAND_RESULT = "command_result"
MAX_PENDING = 10_000


class DeviceEvents:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], counters: Counters) -> None:
        self._sessionmaker = sessionmaker
        self._counters = counters
        self._pending: list[ReceivedEvent] = []
        self._ready = asyncio.Event()

    async def committed(self, batch: CommittedBatch) -> None:
        wanted = [item for item in batch.events if item.event.type in (CONFIG_APPLIED, COMMAND_RESULT)]
        if wanted:
            self._pending.extend(wanted)
            del self._pending[:-MAX_PENDING]
            self._ready.set()

    async def run(self) -> None:
        await run_rounds(self._ready, self._round, what="device_events", log=log)

    async def _round(self) -> None:
        events, self._pending = self._pending, []
        try:
            await self._record(events)
        except DATABASE_ERRORS as error:
            if is_transient(error):
                self._pending[:0] = events  # for the next try, with whatever arrived meanwhile
            raise

    async def _record(self, events: list[ReceivedEvent]) -> None:
        now = datetime.now(UTC)
        async with self._sessionmaker() as session:
            touched: set[int] = set()
            for item in events:
                if await _record_one(session, item, now):
                    touched.add(item.device_id)
                else:
                    self._counters.add("device_events_ignored")
            for device_id in sorted(touched):
                await notify.notify(session, notify.DEVICE_EVENT, str(device_id))
            await session.commit()
        self._counters.add("device_events", len(events))


async def _record_one(session: AsyncSession, item: ReceivedEvent, now: datetime) -> bool:
    body: dict[str, Any] = item.event.body
    if item.event.type == CONFIG_APPLIED:
        version = body.get("version")
        if type(version) is not int:
            return False
        return await desired_config.record_applied(session, item.device_id, version)
    command_id, ok = body.get("id"), body.get("ok")
    if not isinstance(command_id, str) or not isinstance(ok, bool):
        return False
    details = {key: value for key, value in body.items() if key not in ("type", "id", "ok")}
    recorded = await commands.record_result(session, item.device_id, command_id[:36], ok, details, now=now)
    if recorded:
        log.info("command answered uid=%s id=%s ok=%s", item.uid, command_id, ok)
    return recorded
