"""The baselines the processor is compared with, each draining a persistent MQTT session queued beforehand.

- `mosquitto_sub` (C): what the broker itself can hand out — the ceiling of the whole pipe.
- a bare aiomqtt subscriber: the same client library as the processor, doing nothing with the messages.
- a bulk asyncio subscriber (bench/wire.py): Python reading whole socket chunks, what a leaner client gets.
- a naive consumer: one INSERT and one commit per message, the design the processor's batching replaces.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import aiomqtt
import asyncpg
import orjson

from bench.wire import BulkSubscriber
from core import topics
from sandbox.broker import Broker

TELEMETRY_FILTER = topics.device_topic("+", topics.TELEMETRY)

_NAIVE_INSERT = """
INSERT INTO telemetry (device_id, ts, co2, temperature, humidity, pm25, voc)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (device_id, ts) DO NOTHING
"""


@dataclass(frozen=True, slots=True)
class Drained:
    messages: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0


async def open_session(broker: Broker, client_id: str) -> None:
    """Create a persistent session subscribed to all telemetry, then leave: the broker queues for it."""
    async with aiomqtt.Client(
        broker.host, broker.port, identifier=client_id, clean_session=False, **broker.credentials
    ) as client:
        await client.subscribe(TELEMETRY_FILTER, qos=1)


async def close_session(broker: Broker, client_id: str) -> None:
    """Connect once with a clean session: the broker forgets the session and stops queueing for it."""
    async with aiomqtt.Client(
        broker.host, broker.port, identifier=client_id, clean_session=True, **broker.credentials
    ):
        pass


def drain_with_mosquitto_sub(broker: Broker, client_id: str, count: int, window: float) -> Drained:
    command = ["mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-i", client_id, "-c", "-q", "1"]
    command += ["-u", broker.username, "-P", broker.password]
    command += ["-t", TELEMETRY_FILTER, "-C", str(count)]
    started = time.monotonic()
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=window, check=False
        )
    seconds = time.monotonic() - started
    # Without a count of its own, a timed-out mosquitto_sub is credited with the window's share only.
    return Drained(count, seconds) if seconds < window else Drained(0, seconds)


async def drain_with_aiomqtt(broker: Broker, client_id: str, count: int, window: float) -> Drained:
    received, first, last = 0, 0.0, 0.0
    client = aiomqtt.Client(
        broker.host, broker.port, identifier=client_id, clean_session=False, **broker.credentials
    )
    async with client:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(window):
                async for _ in client.messages:
                    last = time.monotonic()
                    received += 1
                    first = first or last
                    if received >= count:
                        break
    return Drained(received, last - first)


async def drain_in_bulk(broker: Broker, client_id: str, count: int, window: float) -> Drained:
    loop = asyncio.get_running_loop()
    transport, subscriber = await loop.create_connection(
        lambda: BulkSubscriber(client_id, TELEMETRY_FILTER, count), broker.host, broker.port
    )
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(subscriber.done, window)
    finally:
        await subscriber.disconnect()
        transport.close()
    return Drained(subscriber.received, subscriber.last - subscriber.first)


async def drain_naively(
    broker: Broker,
    client_id: str,
    *,
    database_url: str,
    device_ids: dict[str, int],
    count: int,
    window: float,
) -> Drained:
    connection = await asyncpg.connect(database_url)
    stored, first, last = 0, 0.0, 0.0
    try:
        client = aiomqtt.Client(
            broker.host, broker.port, identifier=client_id, clean_session=False, **broker.credentials
        )
        async with client:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(window):
                    async for message in client.messages:
                        first = first or time.monotonic()
                        await _insert_one(connection, device_ids, message)
                        last = time.monotonic()
                        stored += 1
                        if stored >= count:
                            break
    finally:
        await connection.close()
    return Drained(stored, last - first)


async def _insert_one(
    connection: asyncpg.Connection, device_ids: dict[str, int], message: aiomqtt.Message
) -> None:
    reading = orjson.loads(message.payload)  # type: ignore[arg-type]
    device_id = device_ids[message.topic.value.split("/")[1]]
    ts = datetime.fromtimestamp(reading["timestamp"], UTC)
    # Outside a transaction block every statement is its own transaction: one commit per message.
    await connection.execute(
        _NAIVE_INSERT,
        device_id,
        ts,
        reading.get("co2"),
        reading.get("temperature"),
        reading.get("humidity"),
        reading.get("pm25"),
        reading.get("voc"),
    )
