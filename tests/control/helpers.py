"""Device control tests: a paired agent, reading the chat until a text shows up, reading the database."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sandbox.botapi import BotMessage, TelegramUser
from tests.bot.helpers import device_id, fetch, new_device
from tests.device.processes import Running, agent_config, start
from tests.processor.helpers import eventually
from tests.support.broker import Broker


@dataclass
class Agent:
    uid: str
    device_id: int
    name: str
    running: Running
    config: Path


@dataclass
class Agents:
    broker: Broker
    workdir: Path
    running: list[Running] = field(default_factory=list)

    def start(self, config: Path) -> Running:
        process = start("device", ["--config", str(config)], self.workdir)
        self.running.append(process)
        return process

    def kill_all(self) -> None:
        for process in self.running:
            if process.process.poll() is None:
                process.process.kill()
                process.process.wait(timeout=10)


async def paired_agent(
    owner: TelegramUser,
    agents: Agents,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    **settings: Any,
) -> Agent:
    """An agent whose owner paired it with /add, running with the server's config applied."""
    uid, code = await new_device(sessionmaker)
    workdir = agents.workdir / uid
    workdir.mkdir()
    config = agent_config(workdir, agents.broker.port, uid=uid, **settings)
    running = agents.start(config)
    owner.send(f"/add {code}")
    reply = await owner.next_message()
    assert "Paired" in (reply.text or ""), reply.text
    device = await device_id(engine, uid)
    await eventually(lambda: applied_version(engine, device), within=30)
    rows = await fetch(engine, "SELECT name FROM devices WHERE id = :id", id=device)
    return Agent(uid, device, str(rows[0][0]), running, config)


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


async def until_text(user: TelegramUser, needle: str, within: float = 20.0) -> BotMessage:
    """The bot's next send or edit in this chat whose text contains `needle` (earlier ones are skipped)."""
    deadline = time.monotonic() + within
    seen: list[str | None] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{needle!r} not shown within {within} s; shown: {seen[-5:]}")
        try:
            message = await user.next_message(timeout=remaining)
        except TimeoutError:
            continue
        seen.append(message.text)
        if needle in (message.text or ""):
            return message


async def wait_output(running: Running, needle: str, within: float = 20.0, after: int = 0) -> str:
    """Until the agent's console shows `needle` past offset `after`."""
    deadline = time.monotonic() + within
    while needle not in running.output()[after:]:
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} not printed within {within} s:\n{running.output()[-2000:]}")
        await asyncio.sleep(0.1)
    return running.output()
