"""Retained messages processors before bfd3502 left on the broker for HTTP agents (who get nothing MQTT).

Those processors published an agent's retained config, pairing answer ("paired") and firmware document like
any device's. The agent never reads them, but they stay on the broker for good (and in its persistence file).
Once at each start, every agent's retained topics are cleared with an empty retained message: harmless when
there is nothing to clear, so running it again (or on several processors) changes nothing.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from core.retry import retry_database
from core.services import agents
from processor.counters import Counters
from processor.publisher import Publisher

log = logging.getLogger(__name__)

# Clears awaiting the broker's PUBACK at once: thousands of agents take a few round trips, not thousands.
IN_FLIGHT = 50


def retained_topics(uid: str) -> list[str]:
    """What a processor could have retained for a device: its config, firmware document and pairing answer."""
    return [
        topics.device_topic(uid, topics.CONFIG),
        topics.device_topic(uid, topics.OTA),
        topics.provision_response(uid),
    ]


class AgentLeftovers:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], publisher: Publisher, counters: Counters
    ) -> None:
        self._sessionmaker = sessionmaker
        self._publisher = publisher
        self._counters = counters

    async def run(self) -> None:
        """Clear every agent's retained topics once (publishing waits for the broker), then return."""
        uids = await retry_database(self._agent_uids, what="agent_leftovers", log=log)
        cleared = [topic for uid in uids or () for topic in retained_topics(uid)]
        for start in range(0, len(cleared), IN_FLIGHT):
            chunk = cleared[start : start + IN_FLIGHT]
            await asyncio.gather(*(self._publisher.publish(topic, b"", retain=True) for topic in chunk))
        self._counters.add("agent_retained_cleared", len(cleared))
        log.info("agents' retained topics cleared agents=%s topics=%s", len(uids or ()), len(cleared))

    async def _agent_uids(self) -> list[str]:
        async with self._sessionmaker() as session:
            return await agents.agent_uids(session)
