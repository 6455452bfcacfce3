"""Fixtures for the operators' tests: a Bot API double, an operator, and the real bot knowing them.

The bot delivers the outbox (broadcasts are outbox rows) and may be killed by a test; `tg` starts it again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.ports import free_port
from tests.delivery.conftest import DeliveringBot
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
def admin_http_port() -> int:
    """The bot's HTTP side (/metrics, /healthz)."""
    return free_port()


@pytest.fixture(scope="package")
async def admin_bot(
    admin_double: BotApiDouble, operator: TelegramUser, database_url: str, admin_http_port: int
) -> AsyncIterator[DeliveringBot]:
    bot = DeliveringBot(
        admin_double, database_url, ADMIN_USER_IDS=str(operator.id), BOT_HTTP_PORT=str(admin_http_port)
    )
    await bot.start()
    yield bot
    if bot.alive:
        await bot.stop()


@pytest.fixture
async def tg(admin_double: BotApiDouble, admin_bot: DeliveringBot, operator: TelegramUser) -> BotApiDouble:
    if not admin_bot.alive:
        await admin_bot.start()
    operator.drain()
    return admin_double
