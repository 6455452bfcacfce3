"""What the processor tests share: pairing devices, publishing, polling, running the processor."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import aiomqtt
import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import User
from core.services import pairing
from tests.support.broker import Broker

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
_telegram_ids = itertools.count(int(time.time() * 1000) % 10**9)


def new_uid(prefix: str = "dev") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


async def pair_device(
    sessionmaker: async_sessionmaker[AsyncSession], uid: str, device_type: str = "multi"
) -> int:
    """A device paired the way production pairs it: the device asks for a code, a user claims it."""
    now = datetime.now(UTC)
    async with sessionmaker() as session:
        offer = await pairing.offer_code(session, uid, device_type, "2.0.1", now)
    assert offer is not None
    async with sessionmaker() as session:
        user = User(telegram_id=next(_telegram_ids), first_name="Test")
        session.add(user)
        await session.commit()
        device = await pairing.claim_code(session, user, offer.code, now)
    return device.id


async def eventually(check: Callable[[], Awaitable[T]], within: float = 20.0, interval: float = 0.1) -> T:
    """Poll `check` until it returns something truthy (and return it), or fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s; last result: {result!r}")
        await asyncio.sleep(interval)


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


class ProcessorProcess:
    """`python -m processor` as a real process, the way an operator runs it; stderr goes to a log file."""

    def __init__(
        self, database_url: str, broker: Broker, client_id: str, log_path: Path, **extra: str
    ) -> None:
        self._env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "MQTT_HOST": broker.host,
            "MQTT_PORT": str(broker.port),
            "MQTT_CLIENT_ID": client_id,
            **extra,
        }
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "processor"], cwd=ROOT, env=self._env, stdout=log, stderr=log
        )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def wait_connected(self, within: float = 20.0) -> None:
        """Until this run of the process logged that it is subscribed."""

        async def connected() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log_text()[-3000:]
            return "mqtt connected" in self.log_text()[self._offset :]

        await eventually(connected, within)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 30.0) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def counters(self) -> dict[str, int]:
        """The last `processor counters` line this process logged, as a dict."""
        lines = [line for line in self.log_text().splitlines() if "processor counters" in line]
        assert lines, self.log_text()[-3000:]
        return {
            key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", lines[-1].split("counters", 1)[1])
        }
