"""Devices' last_seen/online/firmware/IP follow telemetry and status; the hourly rollup matches raw rows."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from sandbox.broker import Broker
from sandbox.seed import new_uid, pair_device
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher, fetch, telemetry_rows


async def _device(url: str, device_id: int):
    rows = await fetch(
        url, "SELECT last_seen, is_online, firmware_version, last_ip FROM devices WHERE id = $1", device_id
    )
    return rows[0]


async def test_status_and_last_will_update_online_state_firmware_and_ip(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    await start_processor()
    status = topics.device_topic(uid, "status")
    async with Publisher(broker) as device:
        await device.send(
            status, {"status": "online", "firmware_version": "2.0.1", "ip": "192.168.1.50"}, retain=True
        )

        async def online():
            row = await _device(database_url, device_id)
            return row if row["is_online"] else None

        row = await eventually(online)
        assert (row["firmware_version"], row["last_ip"]) == ("2.0.1", "192.168.1.50")
        assert row["last_seen"] is not None

        # What the broker publishes for a device that vanished: its Last Will, retained.
        await device.send(status, {"status": "offline"}, retain=True)

        async def offline():
            row = await _device(database_url, device_id)
            return row if not row["is_online"] else None

        row = await eventually(offline)
        assert row["firmware_version"] == "2.0.1"

        before = time.time()
        await device.send(
            topics.device_topic(uid, "telemetry"), {"co2": 640, "firmware_version": "2.0.2", "ip": "10.0.0.7"}
        )

        async def back():
            row = await _device(database_url, device_id)
            return row if row["is_online"] else None

        row = await eventually(back)
        assert (row["firmware_version"], row["last_ip"]) == ("2.0.2", "10.0.0.7")
        assert row["last_seen"].timestamp() >= before - 1


async def test_hourly_rollup_matches_raw_rows_and_ignores_duplicates(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    await start_processor()
    hour = (int(time.time()) // 3600 - 2) * 3600
    readings = [
        {
            "timestamp": hour + 60 * i,
            "co2": 500 + 7 * i,
            "temperature": 20 + i / 10,
            **({"pm25": i} if i % 2 else {}),
        }
        for i in range(90)  # 1.5 hours: two buckets
    ]
    async with Publisher(broker) as device:
        telemetry = topics.device_topic(uid, "telemetry")
        await device.send(telemetry, readings[:40])
        await device.send(telemetry, readings[30:])  # overlaps: readings 30..39 arrive twice
        await device.send(telemetry, readings[10])  # and one more duplicate alone

    await eventually(lambda: _rows_when(database_url, device_id, 90))
    expected = await fetch(
        database_url,
        """
        SELECT date_trunc('hour', ts, 'UTC') AS bucket, metric, min(value) AS min, max(value) AS max,
               avg(value) AS avg, count(*) AS count
        FROM telemetry CROSS JOIN LATERAL (VALUES
            ('co2', co2::float8), ('temperature', temperature::float8), ('humidity', humidity::float8),
            ('pm25', pm25::float8), ('voc', voc::float8)
        ) AS m(metric, value)
        WHERE device_id = $1 AND value IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1, 2
        """,
        device_id,
    )

    async def rolled_up():
        rows = await fetch(
            database_url,
            "SELECT bucket, metric, min, max, sum / count AS avg, count FROM telemetry_hourly"
            " WHERE device_id = $1 ORDER BY bucket, metric",
            device_id,
        )
        return rows if sum(r["count"] for r in rows) == sum(r["count"] for r in expected) else None

    # The rollup is folded from the pending readings every 5 s (WriterOptions.fold_interval): a bounded lag.
    rollup = await eventually(rolled_up, within=15)
    assert len(expected) == 6  # 2 hours x co2, temperature, pm25
    assert [(r["bucket"], r["metric"], r["count"]) for r in rollup] == [
        (r["bucket"], r["metric"], r["count"]) for r in expected
    ]
    assert [r["count"] for r in rollup if r["metric"] == "co2"] == [60, 30]
    for got, want in zip(rollup, expected, strict=True):
        assert (got["min"], got["max"]) == (want["min"], want["max"])
        assert got["avg"] == pytest.approx(want["avg"])


async def _rows_when(url: str, device_id: int, count: int):
    rows = await telemetry_rows(url, device_id)
    return rows if len(rows) >= count else None
