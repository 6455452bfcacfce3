"""Desired state → broker: configs retained on devices/{uid}/config, commands on devices/{uid}/commands.

A round publishes everything not yet published, so it is correct whenever it runs: at start, on NOTIFY
(CONFIG_CHANGED, COMMAND_QUEUED, DEVICE_PAIRED: the processor's one LISTEN connection calls `trigger`), after
that connection comes back (NOTIFYs sent meanwhile are lost), and every `SWEEP_INTERVAL` as a safety net. A
change made while the processor was down is therefore published when it starts. Devices that speak HTTP
(core.transport) are never in a round: core.services leaves them out of configs and refuses them commands.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from core.retry import run_rounds
from core.services import commands, desired_config
from processor.counters import Counters
from processor.publisher import Publisher

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 60.0


class Reconciler:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        publisher: Publisher,
        counters: Counters,
        command_ttl: timedelta,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._publisher = publisher
        self._counters = counters
        self._command_ttl = command_ttl
        self._wanted = asyncio.Event()
        self._wanted.set()  # the first round runs at start

    def trigger(self) -> None:
        self._wanted.set()

    async def run(self) -> None:
        """The publishing rounds, until cancelled."""
        await run_rounds(self._wanted, self._round, what="desired_state", log=log, every=SWEEP_INTERVAL)

    async def _round(self) -> None:
        await self._publish_commands()
        await self._publish_configs()
        await self._publish_commands()  # those queued while configs waited for the broker

    async def _publish_configs(self) -> None:
        async with self._sessionmaker() as session:
            pending = await desired_config.unpublished_configs(session)
        for config in pending:
            topic = topics.device_topic(config.uid, topics.CONFIG)
            await self._publisher.publish(topic, orjson.dumps(config.payload), retain=True)
            async with self._sessionmaker() as session:
                await desired_config.mark_published(session, config.device_id, config.version)
            self._counters.add("configs_published")
            log.info("config published uid=%s version=%s", config.uid, config.version)

    async def _publish_commands(self) -> None:
        async with self._sessionmaker() as session:
            due = await commands.claim_due(session, datetime.now(UTC), self._command_ttl)
        for command in due:
            # Past its freshness the command is not worth sending any more (see core.services.commands).
            left = (command.created_at + self._command_ttl - datetime.now(UTC)).total_seconds()
            topic = topics.device_topic(command.uid, topics.COMMANDS)
            try:
                async with asyncio.timeout(max(left, 0.1)):
                    await self._publisher.publish(topic, orjson.dumps(command.payload()), retain=False)
            except TimeoutError:
                self._counters.add("commands_expired")
                log.warning("command not sent in time uid=%s id=%s", command.uid, command.id)
                continue
            self._counters.add("commands_published")
            log.info("command published uid=%s id=%s command=%s", command.uid, command.id, command.command)
