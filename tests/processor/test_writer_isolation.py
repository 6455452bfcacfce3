"""What PostgreSQL refuses as invalid data is isolated: the bad row is dropped and counted, the rest stored.

payloads.py validates against the columns, so these rows are built by hand, as if a value had slipped
through validation: a float beyond PostgreSQL's `real`, a firmware version longer than its column.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.payloads import Status, reading
from processor.acks import Acknowledger
from processor.counters import Counters
from processor.ledger import Ledger
from processor.writer import REFUSED_BY_DATABASE, BatchWriter
from sandbox.seed import new_uid, pair_device
from tests.processor.helpers import fetch, telemetry_rows


async def test_rows_the_database_refuses_are_dropped_and_counted_and_the_rest_stored(
    sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    device_id = await pair_device(sessionmaker, device_type="multi", uid=new_uid())
    other_id = await pair_device(sessionmaker, device_type="multi", uid=new_uid())
    ledger, counters = Ledger(Acknowledger()), Counters()
    writer = BatchWriter(lambda: asyncpg.connect(database_url), ledger, counters)
    now = float(int(time.time()) - 100)  # whole seconds: PostgreSQL's to_timestamp rounds as datetime does
    tickets = [ledger.track(mid, 1) for mid in range(1, 5)]
    good = [reading(now + i, {"co2": 500.0 + i}) for i in range(20)]
    writer.pending.add_readings(device_id, "a", good[:10], now, tickets[0])
    overflow = reading(now + 50, {"co2": 1e39})  # beyond float4
    writer.pending.add_readings(device_id, "a", [overflow], now, tickets[1])
    writer.pending.add_readings(device_id, "a", good[10:], now, tickets[2])
    writer.pending.add_status(other_id, Status(True, "9" * 40, None), now, tickets[3])  # varchar(32)

    await writer.flush()
    await writer.close()

    rows = await telemetry_rows(database_url, device_id)
    assert [row["co2"] for row in rows] == [500.0 + i for i in range(20)]
    assert counters.values["dropped_" + REFUSED_BY_DATABASE] == 2
    assert counters.values["stored"] == 20
    assert all(ticket.done for ticket in tickets)  # acknowledged: a redelivery would fail the same way
    (device,) = await fetch(database_url, "SELECT last_seen FROM devices WHERE id = $1", device_id)
    assert device["last_seen"] == datetime.fromtimestamp(now, UTC)
