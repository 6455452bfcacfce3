"""Fixtures for this package: its own database and broker, a Bot API double, a YooKassa double, and the real
bot running against both with billing on (one free device, 199 ₽ per device) and the outbox delivered."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.ports import free_port
from sandbox.yookassa import SECRET_KEY, SHOP_ID, YooKassaDouble
from tests.billing.helpers import BillingBot
from tests.support.bot_process import start_bot, stop_bot
from tests.support.fixtures import *  # noqa: F403 - fixtures are found by name


def billing_environment(yookassa_double: YooKassaDouble) -> dict[str, str]:
    return {
        "YOOKASSA_SHOP_ID": SHOP_ID,
        "YOOKASSA_SECRET_KEY": SECRET_KEY,
        "YOOKASSA_API_URL": yookassa_double.url,
        "BILLING_PRICE": "199",
        "BILLING_FREE_DEVICES": "1",
        "BILLING_GRACE_DAYS": "14",
    }


@pytest.fixture(scope="package")
async def yookassa_double() -> AsyncIterator[YooKassaDouble]:
    double = YooKassaDouble()
    await double.start()
    yield double
    await double.close()


@pytest.fixture(scope="package")
async def telegram_double() -> AsyncIterator[BotApiDouble]:
    double = BotApiDouble()
    await double.start()
    yield double
    await double.close()


@pytest.fixture(scope="package")
def operator(telegram_double: BotApiDouble) -> TelegramUser:
    return telegram_double.user("Olga")


@pytest.fixture(scope="package")
async def billing_bot(
    telegram_double: BotApiDouble, yookassa_double: YooKassaDouble, operator: TelegramUser, database_url: str
) -> AsyncIterator[BillingBot]:
    port = free_port()
    process = await start_bot(
        telegram_double,
        database_url,
        BOT_HTTP_PORT=str(port),
        DELIVERY_ENABLED="true",
        ADMIN_USER_IDS=str(operator.id),
        **billing_environment(yookassa_double),
    )
    yield BillingBot(process, f"http://127.0.0.1:{port}", database_url, billing_environment(yookassa_double))
    await stop_bot(process)


@pytest.fixture
def bot(billing_bot: BillingBot) -> BillingBot:
    assert billing_bot.process.returncode is None, "the bot died"
    return billing_bot


@pytest.fixture
def tg(telegram_double: BotApiDouble, billing_bot: BillingBot) -> BotApiDouble:
    return telegram_double


@pytest.fixture
def yk(yookassa_double: YooKassaDouble) -> YooKassaDouble:
    return yookassa_double
