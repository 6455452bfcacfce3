"""Fixtures for delivery tests: a Bot API double and the real bot delivering the outbox to it."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator

import pytest

from sandbox.botapi import BotApiDouble
from tests.support.bot_process import ROOT, bot_environment, stop_bot
from tests.support.fixtures import *  # noqa: F403 - this package gets its own database and broker

# Short lease and timeout so a killed bot's rows come back within seconds, not a minute.
DELIVERY_ENV = {
    "DELIVERY_ENABLED": "true",
    "DIGEST_JOB_ENABLED": "true",
    "DELIVERY_LEASE_SECONDS": "8",
    "DELIVERY_REQUEST_TIMEOUT": "2",
    "DELIVERY_POLL_SECONDS": "0.5",
}


class DeliveringBot:
    """The bot process, which a test may kill and start again."""

    def __init__(self, double: BotApiDouble, database_url: str, **extra: str) -> None:
        self.double, self.database_url = double, database_url
        self.extra = extra  # more environment, e.g. ADMIN_USER_IDS
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start `python -m bot` and wait until it polls. Importing aiogram alone takes ~20 s on a busy
        2-core machine, hence the generous wait."""
        after = len(self.double.calls)
        environment = bot_environment(self.double, self.database_url, **(DELIVERY_ENV | self.extra))
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=ROOT, env=environment
        )
        try:
            await self.double.wait_for_call("getUpdates", timeout=180, after=after)
        except TimeoutError:
            await stop_bot(self.process)
            raise

    async def stop(self) -> int:
        assert self.process is not None
        return await stop_bot(self.process)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None


@pytest.fixture(scope="package")
async def delivery_double() -> AsyncIterator[BotApiDouble]:
    double = BotApiDouble()
    await double.start()
    yield double
    await double.close()


@pytest.fixture(scope="package")
async def delivering_bot(delivery_double: BotApiDouble, database_url: str) -> AsyncIterator[DeliveringBot]:
    bot = DeliveringBot(delivery_double, database_url)
    await bot.start()
    yield bot
    if bot.alive:
        await bot.stop()


@pytest.fixture
async def tg(delivery_double: BotApiDouble, delivering_bot: DeliveringBot) -> BotApiDouble:
    """The double, with a delivering bot running against it (started again if a test killed it)."""
    if not delivering_bot.alive:
        await delivering_bot.start()
    return delivery_double
