"""Each bad input of SPEC section 3 is dropped and counted, and the good messages around it are stored."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from core.services import pairing
from sandbox.broker import Broker
from sandbox.seed import new_uid, pair_device
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher, fetch, telemetry_rows


def _bad_inputs(uid: str, now: int) -> list[tuple[str, bytes | object, dict[str, int]]]:
    telemetry = topics.device_topic(uid, "telemetry")
    status = topics.device_topic(uid, "status")
    return [
        (telemetry, b'{"co2": 9', {"malformed_json": 1}),
        (telemetry, b"\xff\xfe not utf-8", {"malformed_json": 1}),
        (telemetry, b'"just a string"', {"not_an_object": 1}),
        (telemetry, [1, 2], {"not_an_object": 2}),
        (telemetry, {"co2": "920"}, {"wrong_type": 1}),
        (telemetry, {"co2": True}, {"wrong_type": 1}),
        (telemetry, b'{"co2": NaN}', {"non_finite": 1}),
        (telemetry, b'{"temperature": -Infinity}', {"non_finite": 1}),
        (telemetry, b'{"humidity": 1e999}', {"non_finite": 1}),
        (telemetry, {"co2": 40001}, {"out_of_range": 1}),
        (telemetry, {"temperature": -41}, {"out_of_range": 1}),
        (telemetry, {"humidity": 100.5}, {"out_of_range": 1}),
        (telemetry, {"pm25": 1001}, {"out_of_range": 1}),
        (telemetry, {"voc": -0.1}, {"out_of_range": 1}),
        (telemetry, {"timestamp": now, "uptime": 5, "firmware_version": "2.0.1"}, {"no_metrics": 1}),
        (telemetry, [], {"no_metrics": 1}),
        (telemetry, {"timestamp": now + 900, "co2": 500}, {"future_timestamp": 1}),
        (telemetry, {"device_uid": "someone-else", "co2": 500}, {"uid_mismatch": 1}),
        (telemetry, [{"co2": 500, "padding": "x" * 70_000}], {"oversize": 1}),
        (status, {"status": "sleeping"}, {"wrong_type": 1}),
        (status, b"[]", {"not_an_object": 1}),
        ("devices/x/telemetry", {"co2": 500}, {"bad_topic": 1}),
    ]


async def test_bad_inputs_are_dropped_and_counted_and_good_ones_around_them_stored(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str, caplog
):
    caplog.set_level(logging.INFO)
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    run = await start_processor()
    now = int(time.time())
    cases = _bad_inputs(uid, now)
    expected: dict[str, int] = {}
    async with Publisher(broker) as device:
        for index, (topic, payload, reasons) in enumerate(cases):
            await device.send(topic, payload)
            # A good reading after every bad one: it must not be lost with its neighbour.
            await device.send(
                topics.device_topic(uid, "telemetry"), {"timestamp": now - index, "co2": 400 + index}
            )
            for reason, count in reasons.items():
                expected[reason] = expected.get(reason, 0) + count

    rows = await eventually(lambda: _rows_when(database_url, device_id, len(cases)))
    assert sorted(row["co2"] for row in rows) == [400 + index for index in range(len(cases))]
    await eventually(lambda: _counted(run, expected))
    # The operator sees the same figures in the periodic counters line.
    await eventually(lambda: _logged(caplog, "dropped_non_finite=3"))
    assert run.counters["stored"] == len(cases)


async def test_array_with_some_bad_readings_keeps_the_good_ones(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    run = await start_processor()
    now = int(time.time())
    backlog = [
        {"timestamp": now - 90, "co2": 700},
        {"timestamp": now - 60, "co2": "high"},
        {"timestamp": now - 30, "co2": 99999},
        {"timestamp": now, "co2": 710, "temperature": 21.5},
    ]
    async with Publisher(broker) as device:
        await device.send(topics.device_topic(uid, "telemetry"), backlog)

    rows = await eventually(lambda: _rows_when(database_url, device_id, 2))
    assert [row["co2"] for row in rows] == [700, 710]
    await eventually(lambda: _counted(run, {"wrong_type": 1, "out_of_range": 1}))


async def test_a_reading_is_held_to_the_range_of_its_device_type(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    # 120 °C: plausible for a computer's CPU (the host type's own range), not for a room (SPEC 3 and 3a).
    room, computer = new_uid(), new_uid()
    room_id = await pair_device(sessionmaker, device_type="co2", uid=room)
    computer_id = await pair_device(sessionmaker, device_type="host", uid=computer)
    run = await start_processor()
    now = int(time.time())
    async with Publisher(broker) as device:
        await device.send(
            topics.device_topic(room, "telemetry"),
            [
                {"timestamp": now - 60, "co2": 600, "temperature": 120},
                {"timestamp": now - 30, "co2": 610, "temperature": 21.5},
            ],
        )
        await device.send(topics.device_topic(room, "telemetry"), {"timestamp": now, "co2": 620})
        await device.send(
            topics.device_topic(computer, "telemetry"),
            {"timestamp": now, "cpu_percent": 97, "temperature": 120},
        )

    rows = await eventually(lambda: _rows_when(database_url, room_id, 2))
    assert [(row["co2"], row["temperature"]) for row in rows] == [(610, 21.5), (620, None)]
    (hot,) = await eventually(lambda: _rows_when(database_url, computer_id, 1))
    assert hot["temperature"] == 120
    await eventually(lambda: _counted(run, {"out_of_range": 1}))
    assert run.counters["stored"] == 3


@pytest.mark.parametrize("paired", [False, True], ids=["never-seen", "pending-not-owned"])
async def test_telemetry_of_a_device_without_owner_is_dropped(
    paired: bool,
    start_processor,
    broker: Broker,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
):
    uid = new_uid()
    if paired:
        async with sessionmaker() as session:
            await pairing.offer_code(session, uid, "co2", None, datetime.now(UTC))
    known = new_uid()
    known_id = await pair_device(sessionmaker, device_type="multi", uid=known)
    run = await start_processor()
    async with Publisher(broker) as device:
        for second in range(3):
            await device.send(
                topics.device_topic(uid, "telemetry"), {"timestamp": time.time() - second, "co2": 1}
            )
        await device.send(topics.device_topic(known, "telemetry"), {"co2": 555})

    await eventually(lambda: _rows_when(database_url, known_id, 1))
    await eventually(lambda: _counted(run, {"unknown_device": 3}))
    rows = await _fetch_count(database_url, uid)
    assert rows == 0


async def _rows_when(url: str, device_id: int, count: int):
    rows = await telemetry_rows(url, device_id)
    return rows if len(rows) >= count else None


async def _counted(run, expected: dict[str, int]) -> bool:
    counters = run.counters
    return all(counters.get("dropped_" + reason, 0) == count for reason, count in expected.items())


async def _logged(caplog, text: str) -> bool:
    return any(
        "processor counters" in record.getMessage() and text in record.getMessage()
        for record in caplog.records
    )


async def _fetch_count(url: str, uid: str) -> int:
    rows = await fetch(
        url,
        "SELECT count(*) AS n FROM telemetry t JOIN devices d ON d.id = t.device_id WHERE d.device_uid = $1",
        uid,
    )
    return int(rows[0]["n"])
