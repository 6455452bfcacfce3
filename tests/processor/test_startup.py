"""Starting `python -m processor`: bad configuration is one clear line; a database not up is waited for."""

from __future__ import annotations

import os
import subprocess
import sys

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from sandbox.broker import Broker
from sandbox.database import SERVER_URL
from sandbox.programs import ROOT
from sandbox.seed import new_uid, pair_device
from tests.kit.fixtures import Processors
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher, telemetry_rows


def test_bad_configuration_stops_with_one_line_and_exit_code_2():
    env = {**os.environ, "MQTT_PORT": "not-a-port", "DATABASE_URL": "postgresql://postgres@127.0.0.1/x"}
    result = subprocess.run(
        [sys.executable, "-m", "processor"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "MQTT_PORT" in result.stderr
    assert "Traceback" not in result.stderr


async def test_processor_started_before_its_database_accepts_connections_waits_then_ingests(
    processors: Processors, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    # Our own test database refuses connections for a while (the shared server itself is never touched).
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    database = database_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(SERVER_URL)
    processor = processors()
    try:
        await admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
        processor.start()
        await eventually(lambda: _logged(processor, "waiting for the database"))
    finally:
        await admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
        await admin.close()
    await processor.ready(within=30)
    async with Publisher(broker) as device:
        await device.send(topics.device_topic(uid, "telemetry"), {"co2": 812})
    rows = await eventually(lambda: telemetry_rows(database_url, device_id))
    assert rows[0]["co2"] == 812
    assert await processor.stop() == 0


async def _logged(processor, text: str) -> bool:
    return text in processor.output()
