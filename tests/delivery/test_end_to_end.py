"""End to end: a device publishes over Mosquitto, `python -m processor` evaluates, `python -m bot` delivers,
the user reads it at the Bot API double."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core import topics
from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.broker import Broker
from sandbox.programs import ProcessorProcess
from sandbox.seed import Sessions, share
from tests.delivery.helpers import all_settled, delivered
from tests.kit.chat import owner_with_device, started_user
from tests.kit.sql import execute, fetch
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher


@pytest.fixture(scope="module")
async def processor(
    database_url: str, broker: Broker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ProcessorProcess]:
    """One `python -m processor` for the module's tests. Its minimum silence before "offline" is 2 s, not the
    SPEC's 90 s, so a device reporting every second goes offline in seconds; devices on the default 30 s
    interval still need 3 × 30 s, longer than any test here."""
    process = ProcessorProcess(
        database_url, broker, tmp_path_factory.mktemp("processor"), OFFLINE_MIN_SILENCE_SECONDS="2"
    )
    await process.launch()
    yield process
    await process.stop()


async def _paired(
    tg: BotApiDouble, engine: AsyncEngine, sessions: Sessions, name: str
) -> tuple[TelegramUser, int, int, str]:
    """A user who paired a new device with /add: (user, users.id, device id, device uid)."""
    owner, owner_id, device = await owner_with_device(tg, engine, sessions, name)
    await execute(engine, "UPDATE devices SET name = :n WHERE id = :d", n=f"{name}'s room", d=device)
    rows = await fetch(engine, "SELECT device_uid FROM devices WHERE id = :d", d=device)
    return owner, owner_id, device, str(rows[0][0])


async def test_a_crossing_over_mqtt_reaches_each_subscriber_once_and_so_does_the_recovery(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions, processor: ProcessorProcess, broker: Broker
) -> None:
    owner, owner_id, device, uid = await _paired(tg, engine, sessionmaker, "Ann")
    viewer, viewer_id = await started_user(tg, engine, "Val", "ru")
    quiet, quiet_id = await started_user(tg, engine, "Quinn")
    await share(sessionmaker, viewer_id, device)
    await share(sessionmaker, quiet_id, device, notifications=False)
    mark = len(tg.calls)
    now = int(time.time())

    async with Publisher(broker) as mqtt:
        telemetry = topics.device_topic(uid, "telemetry")
        # Above 1000 ppm for 70 s, longer than the hold time H = 60 s: sent as a backlog of two readings.
        await mqtt.send(telemetry, [{"timestamp": now - 70, "co2": 1500}, {"timestamp": now, "co2": 1600}])
        fired = await owner.next_message(timeout=30)
        assert (fired.text or "").startswith("⚠️ Ann's room: CO2 is 1600 ppm, above the threshold of 1000 ppm")
        assert "выше порога 1000 ppm" in ((await viewer.next_message(timeout=30)).text or "")

        await mqtt.send(telemetry, {"timestamp": now + 1, "co2": 950})  # between C and T: nothing
        await mqtt.send(telemetry, {"timestamp": now + 2, "co2": 700})
        recovered = await owner.next_message(timeout=30)
        assert (recovered.text or "").startswith("✅ Ann's room: CO2 is back to normal, 700 ppm.")
        assert "снова в норме" in ((await viewer.next_message(timeout=30)).text or "")

    await eventually(lambda: all_settled(engine, owner_id, viewer_id, quiet_id))
    assert len(delivered(tg, owner.id, mark)) == 2
    assert len(delivered(tg, viewer.id, mark)) == 2
    assert delivered(tg, quiet.id, mark) == []


async def test_offline_by_last_will_and_by_silence_arrive_as_notices(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions, processor: ProcessorProcess, broker: Broker
) -> None:
    owner, _, _, uid = await _paired(tg, engine, sessionmaker, "Ben")
    # A second device, since flap damping allows one offline notice per device per 30 minutes.
    quiet_owner, _, quiet, quiet_uid = await _paired(tg, engine, sessionmaker, "Cid")
    # It reports every second: 3 missed reports (and the processor's 2 s minimum) make it offline.
    await execute(engine, "UPDATE device_configs SET report_interval = 1 WHERE device_id = :d", d=quiet)
    async with Publisher(broker) as mqtt:
        await mqtt.send(topics.device_topic(quiet_uid, "telemetry"), {"co2": 610})
        await mqtt.send(topics.device_topic(uid, "telemetry"), {"co2": 640})
        # What the broker publishes for a device whose connection dropped: its Last Will, retained.
        await mqtt.send(topics.device_topic(uid, "status"), {"status": "offline"}, retain=True)
        went = await owner.next_message(timeout=30)
        assert (went.text or "").startswith("📴 Ben's room went offline at ")
        assert "(its connection dropped)" in (went.text or "")
        await mqtt.send(topics.device_topic(uid, "status"), {"status": "online"}, retain=True)
        await mqtt.send(topics.device_topic(uid, "telemetry"), {"co2": 650})
        back = await owner.next_message(timeout=30)
        assert (back.text or "").startswith("📶 Ben's room is back online after ")

    # The other device fell silent after its one reading: three report intervals (at least the minimum
    # silence) later it counts as offline.
    silent = await quiet_owner.next_message(timeout=60)
    assert (silent.text or "").startswith("📴 Cid's room stopped reporting: offline since ")
