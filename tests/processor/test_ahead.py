"""A reading that brings an alert notice is written at once with the readings before it, not at the
writer's next interval: the notice must not wait behind a batch of ordinary readings (SPEC section 9)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from sandbox.broker import Broker
from sandbox.seed import make_user, new_uid, pair_device
from tests.alerting.helpers import outbox_of
from tests.kit.sql import execute
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher, telemetry_rows

# Far beyond any wait of the test: only a full or an urgent batch is written while it runs.
NEVER = 3600.0


async def test_a_reading_that_fires_is_written_at_once_and_takes_the_pending_readings_along(
    start_processor,
    broker: Broker,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    owner = await make_user(sessionmaker)
    stuffy_uid, quiet_uid = new_uid(), new_uid()
    stuffy = await pair_device(sessionmaker, owner_id=owner, uid=stuffy_uid)
    quiet = await pair_device(sessionmaker, owner_id=owner, uid=quiet_uid)
    await execute(
        sessionmaker,
        "UPDATE alert_rules SET hold_seconds = 0 WHERE device_id = :id AND metric = 'co2'",
        id=stuffy,
    )
    caplog.set_level(logging.INFO, logger="core.services.alerting")
    run = await start_processor(interval=NEVER)

    async def rules_loaded() -> bool:
        return "alert rules loaded" in caplog.text

    async def received(count: int) -> bool:
        return run.counters.get("readings", 0) >= count

    await eventually(rules_loaded)
    async with Publisher(broker) as device:
        await device.send(topics.device_topic(quiet_uid, "telemetry"), {"co2": 600})
        await device.send(topics.device_topic(stuffy_uid, "telemetry"), {"co2": 900})  # below: ordinary
        await eventually(lambda: received(2))
        assert await telemetry_rows(database_url, quiet) == []  # waiting for a full batch or the interval
        await device.send(topics.device_topic(stuffy_uid, "telemetry"), {"co2": 1500})

        async def notified() -> list[str]:
            return [row.payload["alert_type"] for row in await outbox_of(sessionmaker, owner)]

        assert await eventually(notified) == ["co2_high"]
    assert len(await telemetry_rows(database_url, quiet)) == 1
    assert [row["co2"] for row in await telemetry_rows(database_url, stuffy)] == [900, 1500]
