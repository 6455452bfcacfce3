"""Device control end to end: the real bot, processor and agent (`python -m ...`), Mosquitto, PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from sandbox.botapi import BotApiDouble
from tests.control.helpers import Agents
from tests.processor.helpers import ProcessorProcess, new_uid
from tests.support.bot_process import start_bot, stop_bot
from tests.support.broker import Broker
from tests.support.fixtures import *  # noqa: F403 - this package gets its own database and broker


@pytest.fixture(scope="package")
async def telegram_double() -> AsyncIterator[BotApiDouble]:
    double = BotApiDouble()
    await double.start()
    yield double
    await double.close()


class BotRunner:
    """The real bot as a child process, which a test may restart."""

    def __init__(self, double: BotApiDouble, database_url: str) -> None:
        self._double, self._database_url = double, database_url
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await start_bot(self._double, self._database_url)

    async def stop(self) -> None:
        if self.process is not None:
            await stop_bot(self.process)

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest.fixture(scope="package")
async def bot_runner(telegram_double: BotApiDouble, database_url: str) -> AsyncIterator[BotRunner]:
    runner = BotRunner(telegram_double, database_url)
    await runner.start()
    yield runner
    await runner.stop()


@pytest.fixture
def tg(telegram_double: BotApiDouble, bot_runner: BotRunner) -> BotApiDouble:
    assert bot_runner.process is not None and bot_runner.process.returncode is None, "the bot died"
    return telegram_double


@pytest.fixture
async def processor(database_url: str, broker: Broker, tmp_path: Path) -> AsyncIterator[ProcessorProcess]:
    """`python -m processor`, connected; stopped (or killed) after the test."""
    process = ProcessorProcess(database_url, broker, new_uid("proc"), tmp_path / "processor.log")
    process.start()
    await process.wait_connected()
    yield process
    if process.process is not None and process.process.poll() is None:
        with contextlib.suppress(Exception):
            process.terminate(timeout=20)
    if process.process is not None and process.process.poll() is None:
        process.kill()


@pytest.fixture
def agents(broker: Broker, tmp_path: Path) -> Iterator[Agents]:
    """Starts `python -m device` agents; any still running after the test are killed."""
    made = Agents(broker, tmp_path)
    yield made
    made.kill_all()
