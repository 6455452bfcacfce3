"""Fixtures for the operators' tests: a Bot API double, an operator, and the real bot knowing them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from sandbox.botapi import BotApiDouble, TelegramUser
from tests.support.bot_process import start_bot, stop_bot
from tests.support.fixtures import *  # noqa: F403 - this package gets its own database and broker


@pytest.fixture(scope="package")
async def admin_double() -> AsyncIterator[BotApiDouble]:
    double = BotApiDouble()
    await double.start()
    yield double
    await double.close()


@pytest.fixture(scope="package")
def operator(admin_double: BotApiDouble) -> TelegramUser:
    """The one Telegram user in ADMIN_USER_IDS."""
    return admin_double.user("Opal", username="opal_ops")


@pytest.fixture(scope="package")
async def admin_bot(
    admin_double: BotApiDouble, operator: TelegramUser, database_url: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await start_bot(admin_double, database_url, ADMIN_USER_IDS=str(operator.id))
    yield process
    await stop_bot(process)


@pytest.fixture
def tg(
    admin_double: BotApiDouble, admin_bot: asyncio.subprocess.Process, operator: TelegramUser
) -> BotApiDouble:
    assert admin_bot.returncode is None, "the bot died"
    operator.drain()
    return admin_double
