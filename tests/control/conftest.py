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
from tests.kit.fixtures import Processors, Spawn

# A command's time to live for the bot and the processor (COMMAND_TTL_SECONDS, 30 s in production): "no
# answer" is shown after it, so a test of a device that is down waits it out.
COMMAND_TTL = "12"


@pytest.fixture(scope="package")
def bot_settings() -> dict[str, str]:
    return {"COMMAND_TTL_SECONDS": COMMAND_TTL}


@pytest.fixture
async def processor(processors: Processors) -> ProcessorProcess:
    """The package's `python -m processor`, connected, with the bot's COMMAND_TTL."""
    process = processors(COMMAND_TTL_SECONDS=COMMAND_TTL)
    await process.launch()
    return process


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
