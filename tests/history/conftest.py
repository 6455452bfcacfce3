"""Fixtures for history, export and report tests: a Bot API double and the real bot polling it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from sandbox.botapi import BotApiDouble
from tests.support.bot_process import start_bot, stop_bot
from tests.support.fixtures import *  # noqa: F403 - this package gets its own database and broker


@pytest.fixture(scope="package")
async def history_double() -> AsyncIterator[BotApiDouble]:
    double = BotApiDouble()
    await double.start()
    yield double
    await double.close()


@pytest.fixture(scope="package")
async def history_bot(
    history_double: BotApiDouble, database_url: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await start_bot(history_double, database_url)
    yield process
    await stop_bot(process)


@pytest.fixture
def tg(history_double: BotApiDouble, history_bot: asyncio.subprocess.Process) -> BotApiDouble:
    """The double, with the bot running against it. Each test makes its own users."""
    assert history_bot.returncode is None, "the bot died"
    return history_double
