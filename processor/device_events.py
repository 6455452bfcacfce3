"""Device events after commit: `config_applied`, `command_result` and `ota` are recorded, and the bot is told.

An `AfterCommit` sink: ingest hands it the batch's events and a worker records them, so ingest never waits.
Losing one (the processor dies between ack and record) heals by itself for configs: the agent confirms the
retained config again on every reconnect.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import notify, payloads
from core.retry import DATABASE_ERRORS, is_transient
from core.services import commands, desired_config
from core.services.ota import delivery
from core.services.ota.rules import TargetState
from processor.backlog import Backlog
from processor.counters import Counters
from processor.sinks import CommittedBatch, ReceivedEvent

log = logging.getLogger(__name__)

CONFIG_APPLIED = payloads.CONFIG_APPLIED
COMMAND_RESULT = payloads.COMMAND_RESULT
OTA = payloads.OTA
RECORDED = (CONFIG_APPLIED, COMMAND_RESULT, OTA)
MAX_PENDING = 10_000


class DeviceEvents:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], counters: Counters) -> None:
        self._sessionmaker = sessionmaker
        self._counters = counters
        # Each event is isolated in its own savepoint (below): a round that still fails is not one event's
        # fault, and retrying would fail again, so the backlog gives it up (counted device_events_failed).
        self._events: Backlog[ReceivedEvent] = Backlog("device_events", MAX_PENDING, counters)

    async def committed(self, batch: CommittedBatch) -> None:
        self._events.add(item for item in batch.events if item.event.type in RECORDED)

    async def run(self) -> None:
        await self._events.run(self._record)

    async def _record(self, events: list[ReceivedEvent]) -> None:
        now = datetime.now(UTC)
        async with self._sessionmaker() as session:
            touched: set[int] = set()
            for item in events:
                if await self._record_isolated(session, item, now):
                    touched.add(item.device_id)
                else:
                    self._counters.add("device_events_ignored")
            for device_id in sorted(touched):
                await notify.notify(session, notify.DEVICE_EVENT, str(device_id))
            await session.commit()
        self._counters.add("device_events", len(events))

    async def _record_isolated(self, session: AsyncSession, item: ReceivedEvent, now: datetime) -> bool:
        """One event in a savepoint: an event PostgreSQL refuses is counted and skipped, not retried forever
        (payloads.parse_event validates against the columns, so this is the last line of defence)."""
        try:
            async with session.begin_nested():
                return await _record_one(session, item, now)
        except DATABASE_ERRORS as error:
            if is_transient(error):
                raise
            self._counters.add("device_events_rejected")
            log.warning(
                "device event refused by the database uid=%s type=%s error=%r",
                item.uid,
                item.event.type,
                error,
            )
            return False


async def _record_one(session: AsyncSession, item: ReceivedEvent, now: datetime) -> bool:
    # payloads.parse_event checked both types in full: version an int32, id a short string, ok a bool.
    body: dict[str, Any] = item.event.body
    if item.event.type == CONFIG_APPLIED:
        return await desired_config.record_applied(session, item.device_id, body["version"])
    if item.event.type == OTA:
        return await _record_ota(session, item, body, now)
    if item.event.type != COMMAND_RESULT:
        return False
    command_id, ok = body["id"], body["ok"]
    details = {key: value for key, value in body.items() if key not in ("type", "id", "ok")}
    recorded = await commands.record_result(session, item.device_id, command_id, ok, details, now=now)
    if recorded:
        log.info("command answered uid=%s id=%s ok=%s", item.uid, command_id, ok)
    return recorded


async def _record_ota(
    session: AsyncSession, item: ReceivedEvent, body: dict[str, Any], now: datetime
) -> bool:
    state = TargetState(body["state"])
    recorded = await delivery.record_event(
        session, item.device_id, int(body["id"]), state=state, error=body.get("error"), now=now
    )
    if recorded:
        log.info("ota progress uid=%s rollout=%s state=%s", item.uid, body["id"], state)
    return recorded
