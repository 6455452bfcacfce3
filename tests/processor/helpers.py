"""What the processor tests share: a device-side publisher, and reading rows back as asyncpg records."""

from __future__ import annotations

import aiomqtt
import asyncpg
import orjson

from sandbox.broker import Broker
from sandbox.seed import new_uid


class Publisher:
    """A device-side MQTT client; QoS 1 publish returns once the broker acknowledged it (PUBACK)."""

    def __init__(self, broker: Broker) -> None:
        self._client = aiomqtt.Client(
            broker.host, broker.port, identifier=new_uid("pub"), **broker.credentials
        )

    async def __aenter__(self) -> Publisher:
        await self._client.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.__aexit__(None, None, None)

    async def send(self, topic: str, payload: object, *, retain: bool = False) -> None:
        raw = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        await self._client.publish(topic, raw, qos=1, retain=retain, timeout=10)


async def fetch(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


async def telemetry_rows(url: str, device_id: int) -> list[asyncpg.Record]:
    return await fetch(
        url,
        "SELECT ts, co2, temperature, humidity, pm25, voc FROM telemetry WHERE device_id = $1 ORDER BY ts",
        device_id,
    )
