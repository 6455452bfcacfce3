"""Valid telemetry lands in `telemetry` exactly once, whatever the form and however often it is delivered."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from sandbox.broker import Broker
from sandbox.seed import new_uid, pair_device
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher, telemetry_rows

FULL = {"co2": 920, "temperature": 25.5, "humidity": 29, "pm25": 4.25, "voc": 110}


@pytest.mark.parametrize("metric", ["co2", "temperature", "humidity", "pm25", "voc"])
async def test_each_metric_alone_is_stored_once_even_when_delivered_twice(
    metric, start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    await start_processor()
    ts = int(time.time()) - 60
    message = {"timestamp": ts, metric: FULL[metric]}
    async with Publisher(broker) as device:
        await device.send(topics.device_topic(uid, "telemetry"), message)
        await device.send(topics.device_topic(uid, "telemetry"), message)
        await device.send(topics.device_topic(uid, "telemetry"), {"timestamp": ts + 1, metric: FULL[metric]})

    rows = await eventually(lambda: _rows_when(database_url, device_id, 2))
    assert [row[metric] for row in rows] == [FULL[metric], FULL[metric]]
    assert [int(row["ts"].timestamp()) for row in rows] == [ts, ts + 1]
    others = [name for name in FULL if name != metric]
    assert all(row[name] is None for row in rows for name in others)


async def test_backlog_array_is_stored_once_even_when_delivered_twice(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    run = await start_processor()
    start = int(time.time()) - 3600
    backlog = [{"timestamp": start + 30 * i, **FULL, "co2": 800 + i} for i in range(50)]
    async with Publisher(broker) as device:
        await device.send(topics.device_topic(uid, "telemetry"), backlog)
        await device.send(topics.device_topic(uid, "telemetry"), backlog)

    rows = await eventually(lambda: _rows_when(database_url, device_id, 50))
    assert [row["co2"] for row in rows] == [800 + i for i in range(50)]
    assert rows[0]["temperature"] == pytest.approx(25.5)
    assert rows[0]["pm25"] == pytest.approx(4.25)
    await eventually(lambda: _true(run.counters.get("duplicates", 0) == 50))
    assert run.counters["stored"] == 50


async def test_reading_without_timestamp_is_stored_at_receive_time(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    await start_processor()
    before = time.time()
    async with Publisher(broker) as device:
        await device.send(topics.device_topic(uid, "telemetry"), {"co2": 650})
    rows = await eventually(lambda: _rows_when(database_url, device_id, 1))
    assert before - 1 <= rows[0]["ts"].timestamp() <= time.time()


async def _rows_when(url: str, device_id: int, count: int):
    rows = await telemetry_rows(url, device_id)
    return rows if len(rows) >= count else None


async def _true(value: bool) -> bool:
    return value


async def test_two_processors_in_a_shared_group_split_the_stream_and_store_each_reading_once(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    group = new_uid("group")
    first, second = await start_processor(shared_group=group), await start_processor(shared_group=group)
    start = int(time.time()) - 1000
    async with Publisher(broker) as device:
        for i in range(200):
            await device.send(topics.device_topic(uid, "telemetry"), {"timestamp": start + i, "co2": 500 + i})

    rows = await eventually(lambda: _rows_when(database_url, device_id, 200))
    assert [row["co2"] for row in rows] == [500 + i for i in range(200)]
    shares = [first.counters.get("readings", 0), second.counters.get("readings", 0)]
    assert sum(shares) == 200
    assert min(shares) > 0


async def test_retained_telemetry_replayed_on_subscribe_is_not_stored_again(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    await start_processor()
    async with Publisher(broker) as device:
        # A device that (wrongly) retains its telemetry, without a timestamp.
        await device.send(topics.device_topic(uid, "telemetry"), {"co2": 444}, retain=True)
    await eventually(lambda: _rows_when(database_url, device_id, 1))

    late = await start_processor()  # a new subscription: the broker replays the retained reading to it

    async def replay_seen() -> bool:
        return late.counters.get("retained_telemetry_ignored", 0) >= 1

    await eventually(replay_seen)
    await late.stop()
    assert len(await telemetry_rows(database_url, device_id)) == 1
    async with Publisher(broker) as device:  # an empty retained message clears it for the tests after us
        await device.send(topics.device_topic(uid, "telemetry"), b"", retain=True)
