"""Device control end to end: the real bot, processor and agent (`python -m ...`), Mosquitto, PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sandbox.botapi import BotApiDouble
from sandbox.broker import Broker
from sandbox.programs import ProcessorProcess
from tests.control.helpers import Agent, paired_agent
from tests.kit.fixtures import *  # noqa: F403 - this package gets its own database, broker and bot
from tests.kit.fixtures import Spawn


@pytest.fixture
async def agent(  # noqa: PLR0917 - pytest passes fixtures by name
    tg: BotApiDouble,
    processor: ProcessorProcess,
    spawn: Spawn,
    broker: Broker,
    tmp_path: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
) -> Agent:
    """A running `python -m device` its owner paired with /add, with the server's config applied."""
    owner = tg.user("Olga")
    return await paired_agent(
        owner, spawn=spawn, broker=broker, workdir=tmp_path, sessionmaker=sessionmaker, engine=engine
    )
