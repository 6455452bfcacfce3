"""A reading that brings an alert notice is committed ahead of its batch, with the readings its device sent
before it (processor.ahead): the notice waits neither for the writer's interval nor for the write of the
readings drained with it, and the alert engine still gets each reading once, in order, and only once stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from sandbox.broker import Broker
from sandbox.seed import make_user, new_uid, pair_device
from tests.alerting.helpers import outbox_of
from tests.kit.sql import execute, fetch
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher, telemetry_rows

Sessions = async_sessionmaker[AsyncSession]
# Far beyond any wait of the test: only a full batch, or a write ahead, is written while it runs.
NEVER = 3600.0


async def _rules_loaded(caplog: pytest.LogCaptureFixture) -> None:
    async def loaded() -> bool:
        return "alert rules loaded" in caplog.text

    await eventually(loaded)


async def _notices(sessions: Sessions, owner: int) -> list[str]:
    return [row.payload["alert_type"] for row in await outbox_of(sessions, owner)]


async def _co2_state(sessions: Sessions, device: int) -> tuple[str, datetime | None] | None:
    rows = await fetch(
        sessions,
        "SELECT s.state, s.since FROM alert_states s JOIN alert_rules r ON r.id = s.rule_id "
        "WHERE r.device_id = :device AND r.metric = 'co2'",
        device=device,
    )
    return rows[0] if rows else None


async def _pending_since(sessions: Sessions, device: int, moment: int) -> None:
    """Start the device's CO2 hold at unix time `moment`, as if an earlier reading had."""
    await execute(
        sessions,
        "INSERT INTO alert_states (rule_id, state, since, last_value, updated_at) "
        "SELECT id, 'pending', :since, 1100, :since FROM alert_rules WHERE device_id = :device "
        "AND metric = 'co2'",
        device=device,
        since=datetime.fromtimestamp(moment, UTC),
    )


async def _lock_waiters(sessions: Sessions, count: int) -> bool:
    rows = await fetch(
        sessions,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
    )
    return rows[0][0] >= count


def _state_is(sessions: Sessions, device: int, state: str, since: int) -> Callable[[], object]:
    async def check() -> bool:
        return await _co2_state(sessions, device) == (state, datetime.fromtimestamp(since, UTC))

    return check


async def test_a_crossing_is_notified_before_its_batch_is_written_and_told_once_after_a_crash(
    start_processor,
    broker: Broker,
    sessionmaker: Sessions,
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
    client_id = new_uid("proc")
    run = await start_processor(client_id=client_id, interval=NEVER)
    await _rules_loaded(caplog)
    now = int(time.time())
    async with Publisher(broker) as device:
        await device.send(topics.device_topic(quiet_uid, "telemetry"), {"timestamp": now - 3, "co2": 600})
        await device.send(topics.device_topic(stuffy_uid, "telemetry"), {"timestamp": now - 2, "co2": 900})
        await device.send(topics.device_topic(stuffy_uid, "telemetry"), {"timestamp": now - 1, "co2": 1500})
        assert await eventually(lambda: _notices(sessionmaker, owner)) == ["co2_high"]
    # The crossing and the reading before it are stored; the batch holding all three is not written yet.
    assert [row["co2"] for row in await telemetry_rows(database_url, stuffy)] == [900, 1500]
    assert await telemetry_rows(database_url, quiet) == []

    # A crash before the batch is written: none of its messages was acknowledged, so the broker hands all
    # three to the next run, which stores the quiet one and finds the others stored.
    run.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run.task
    again = await start_processor(client_id=client_id)

    async def redelivered() -> bool:
        return again.counters.get("stored", 0) + again.counters.get("duplicates", 0) >= 3

    await eventually(redelivered)
    assert (again.counters["stored"], again.counters.get("duplicates", 0)) == (1, 2)
    assert [row["co2"] for row in await telemetry_rows(database_url, quiet)] == [600]
    assert [row["co2"] for row in await telemetry_rows(database_url, stuffy)] == [900, 1500]

    async def rolled_up_once() -> bool:
        rows = await fetch(
            sessionmaker,
            "SELECT (SELECT coalesce(sum(count), 0) FROM telemetry_hourly WHERE device_id = :device "
            "AND metric = 'co2') AS counted, (SELECT count(*) FROM telemetry_hourly_pending) AS pending",
            device=stuffy,
        )
        return rows[0] == (2, 0)

    await eventually(rolled_up_once, 30)
    assert await _notices(sessionmaker, owner) == ["co2_high"]


async def _held_since_two_minutes(
    sessionmaker: Sessions, start_processor, caplog: pytest.LogCaptureFixture, interval: float
) -> tuple[int, str, int, int]:
    """An owner's CO2 monitor (T 1000, C 900, H 60 s) whose hold began 120 s ago, and a processor writing
    batches every `interval` s with its rules loaded: (owner, uid, device, now)."""
    owner = await make_user(sessionmaker)
    uid = new_uid()
    device = await pair_device(sessionmaker, owner_id=owner, uid=uid)
    now = int(time.time())
    await _pending_since(sessionmaker, device, now - 120)
    caplog.set_level(logging.INFO, logger="core.services.alerting")
    await start_processor(interval=interval)
    await _rules_loaded(caplog)
    return owner, uid, device, now


async def test_a_dip_before_the_crossing_in_the_same_batch_restarts_the_hold(
    start_processor,
    broker: Broker,
    sessionmaker: Sessions,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    owner, uid, device, now = await _held_since_two_minutes(sessionmaker, start_processor, caplog, NEVER)
    async with Publisher(broker) as mqtt:
        telemetry = topics.device_topic(uid, "telemetry")
        await mqtt.send(telemetry, {"timestamp": now - 50, "co2": 800})  # the dip: the hold starts over
        # Beyond the threshold 80 s after the hold began: alone, it would fire.
        await mqtt.send(telemetry, {"timestamp": now - 40, "co2": 1100})
        await eventually(_state_is(sessionmaker, device, "pending", now - 40))
    assert [row["co2"] for row in await telemetry_rows(database_url, device)] == [800, 1100]
    assert await _notices(sessionmaker, owner) == []


async def test_a_dip_in_the_batch_being_written_when_the_crossing_comes_restarts_the_hold(
    start_processor,
    broker: Broker,
    sessionmaker: Sessions,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    owner, uid, device, now = await _held_since_two_minutes(sessionmaker, start_processor, caplog, 0.05)
    # The batch holding the dip stops half-way, its rows inserted but not committed: it waits for the
    # device's row, which this transaction holds.
    blocker = await asyncpg.connect(database_url)
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("SELECT 1 FROM devices WHERE id = $1 FOR UPDATE", device)
        async with Publisher(broker) as mqtt:
            telemetry = topics.device_topic(uid, "telemetry")
            await mqtt.send(telemetry, {"timestamp": now - 50, "co2": 800})
            await eventually(lambda: _lock_waiters(sessionmaker, 1))
            await mqtt.send(telemetry, {"timestamp": now - 40, "co2": 1100})
            # Written ahead with the dip, the crossing waits for the dip's batch too.
            await eventually(lambda: _lock_waiters(sessionmaker, 2))
            await transaction.rollback()
            await eventually(_state_is(sessionmaker, device, "pending", now - 40))
    finally:
        await blocker.close()
    assert [row["co2"] for row in await telemetry_rows(database_url, device)] == [800, 1100]
    assert await _notices(sessionmaker, owner) == []
