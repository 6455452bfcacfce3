"""A test's eyes on the broker: an MQTT subscriber that records what arrives and waits for a match."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiomqtt
import orjson

from sandbox.broker import Broker


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    body: Any
    retain: bool
    at: float  # time.monotonic() on arrival

    @property
    def uid(self) -> str:
        return self.topic.split("/")[1]

    @property
    def kind(self) -> str:
        return self.topic.rsplit("/", 1)[-1]


class Probe:
    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.received: list[Received] = []
        self._arrived = asyncio.Event()

    async def pump(self) -> None:
        async for message in self.client.messages:
            # An empty payload is how a retained message is cleared.
            body = orjson.loads(message.payload) if message.payload else None  # type: ignore[arg-type]
            self.received.append(Received(message.topic.value, body, bool(message.retain), time.monotonic()))
            self._arrived.set()

    async def wait_for(
        self, predicate: Callable[[Received], bool], within: float = 15.0, after: int = 0
    ) -> Received:
        """The first message (from index `after` on) matching `predicate`, waiting up to `within` seconds."""
        deadline = time.monotonic() + within
        while True:
            self._arrived.clear()
            for message in self.received[after:]:
                if predicate(message):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching message within {within} s; last: {self.received[-5:]}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def publish(self, topic: str, body: Any, *, retain: bool = False) -> None:
        await self.client.publish(topic, orjson.dumps(body), qos=1, retain=retain)

    def matching(self, predicate: Callable[[Received], bool]) -> list[Received]:
        return [message for message in self.received if predicate(message)]


@contextlib.asynccontextmanager
async def probe(
    broker: Broker, *filters: str, identifier: str | None = None, clean_session: bool = True
) -> AsyncIterator[Probe]:
    """Subscribe to `filters` (QoS 1); with a fixed identifier and clean_session=False the broker keeps what
    arrives while the probe is away."""
    client = aiomqtt.Client(
        broker.host,
        broker.port,
        identifier=identifier,
        clean_session=clean_session,
        **broker.credentials,
    )
    async with client:
        watcher = Probe(client)
        if filters:
            await client.subscribe([(topic_filter, 1) for topic_filter in filters])
        pump = asyncio.create_task(watcher.pump())
        try:
            yield watcher
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await pump
