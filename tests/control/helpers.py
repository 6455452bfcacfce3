"""Device control tests: an agent paired through the chat, and reading its config and readings back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sandbox.botapi import TelegramUser
from sandbox.broker import Broker
from sandbox.programs import Program
from sandbox.seed import offer_device
from tests.kit.agent import agent_config
from tests.kit.fixtures import Spawn
from tests.kit.sql import device_id, fetch
from tests.kit.wait import eventually


@dataclass
class Agent:
    owner: TelegramUser
    uid: str
    device_id: int
    name: str
    program: Program
    config: Path


async def paired_agent(
    owner: TelegramUser,
    *,
    spawn: Spawn,
    broker: Broker,
    workdir: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    **settings: Any,
) -> Agent:
    """An agent whose owner paired it with /add, running with the server's config applied."""
    uid, code = await offer_device(sessionmaker)
    (workdir / uid).mkdir()
    config = agent_config(workdir / uid, broker.port, uid=uid, **settings)
    program = spawn("device", ["--config", str(config)])
    owner.send(f"/add {code}")
    reply = await owner.next_message()
    assert "Paired" in (reply.text or ""), reply.text
    device = await device_id(engine, uid)
    await eventually(lambda: applied_version(engine, device), within=30)
    rows = await fetch(engine, "SELECT name FROM devices WHERE id = :id", id=device)
    return Agent(owner, uid, device, str(rows[0][0]), program, config)


async def applied_version(engine: AsyncEngine, device: int) -> int:
    rows = await fetch(engine, "SELECT applied_version FROM device_configs WHERE device_id = :id", id=device)
    return int(rows[0][0])


async def config_row(engine: AsyncEngine, device: int) -> dict[str, Any]:
    rows = await fetch(
        engine,
        "SELECT version, published_version, applied_version, report_interval FROM device_configs"
        " WHERE device_id = :id",
        id=device,
    )
    version, published, applied, interval = rows[0]
    return {"version": version, "published": published, "applied": applied, "interval": interval}


async def reading_times(engine: AsyncEngine, device: int, since: datetime) -> list[float]:
    rows = await fetch(
        engine,
        "SELECT ts FROM telemetry WHERE device_id = :id AND ts >= :since ORDER BY ts",
        id=device,
        since=since,
    )
    return [row[0].timestamp() for row in rows]
