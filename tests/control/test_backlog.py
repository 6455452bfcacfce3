"""A broker outage: the agent keeps its readings, uploads them as a backlog, and stale ones alert nobody."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.services import settings
from sandbox.broker import Broker
from tests.control.helpers import Agent, applied_version, reading_times
from tests.kit.sql import execute, fetch, user_id
from tests.kit.wait import eventually

# Far beyond the (raised) threshold and critical level: any of these readings would alert if it were news.
STALE_CO2 = 35_000


def _buffered(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM readings").fetchone()[0])


def _age_the_backlog(path: Path, minutes: int) -> int:
    """Make the buffered readings look like a long outage (20 min ago, one a minute) of alarming air.

    The agent stamps readings with its clock; a test cannot wait 10 minutes, so it rewrites what the agent
    buffered, as if the broker had been away that long.
    """
    start = time.time() - minutes * 60
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id, payload FROM readings ORDER BY id").fetchall()
        for index, (row_id, payload) in enumerate(rows):
            reading = json.loads(payload)
            reading |= {"timestamp": start + index * 60, "co2": STALE_CO2}
            db.execute("UPDATE readings SET payload = ? WHERE id = ?", (json.dumps(reading).encode(), row_id))
    return len(rows)


async def test_backlog_after_a_broker_outage_is_stored_without_stale_alerts(
    agent: Agent,
    broker: Broker,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
) -> None:
    owner = agent.owner
    async with sessionmaker() as session:
        change = await settings.set_report_interval(session, await user_id(engine, owner), agent.device_id, 5)

    async def fast() -> bool:
        return await applied_version(engine, agent.device_id) >= (change.version or 0)

    await eventually(fast, within=30)
    await execute(
        engine,
        "UPDATE alert_rules SET threshold = 30000, clear_level = 29000, critical = 32000"
        " WHERE device_id = :id AND metric = 'co2'",
        id=agent.device_id,
    )
    buffer = agent.config.parent / "buffer.sqlite3"

    broker.stop()
    try:
        await eventually(lambda: _at_least(buffer, 3), within=30)
        aged = _age_the_backlog(buffer, minutes=20)
    finally:
        broker.start()
    reconnected = datetime.now(UTC)

    async def backlog_stored() -> bool:
        rows = await fetch(
            engine,
            "SELECT count(*) FROM telemetry WHERE device_id = :id AND co2 = :co2",
            id=agent.device_id,
            co2=STALE_CO2,
        )
        return int(rows[0][0]) >= aged

    await eventually(backlog_stored, within=60)
    # A fresh reading after the backlog went through the same pipeline (and the alert engine) too.
    await eventually(lambda: _fresh_after(engine, agent.device_id, reconnected), within=30)
    old = await reading_times(engine, agent.device_id, datetime.now(UTC) - timedelta(minutes=21))
    assert min(old) < time.time() - 19 * 60  # stored with the time the device measured it

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # an absence needs a window: nothing fires during it either
        alerts = await fetch(engine, "SELECT count(*) FROM alerts WHERE device_id = :id", id=agent.device_id)
        assert alerts == [(0,)]
        await asyncio.sleep(0.5)
    states = await fetch(
        engine,
        "SELECT s.state FROM alert_states s JOIN alert_rules r ON r.id = s.rule_id"
        " WHERE r.device_id = :id AND r.metric = 'co2'",
        id=agent.device_id,
    )
    assert states in ([], [("ok",)])


async def _at_least(buffer: Path, count: int) -> bool:
    return _buffered(buffer) >= count


async def _fresh_after(engine: AsyncEngine, device: int, since: datetime) -> bool:
    return bool(await reading_times(engine, device, since))
