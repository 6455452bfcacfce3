"""Fixtures for this package: its own database and broker, a Bot API double, a YooKassa double, and the real
bot running against both with billing on (one free device, 199 ₽ per device) and the outbox delivered."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.ports import free_port
from sandbox.yookassa import SECRET_KEY, SHOP_ID, YooKassaDouble
from tests.billing.helpers import BillingBot
from tests.kit.fixtures import *  # noqa: F403 - this package gets its own database, broker and bot


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
def operator(bot_api: BotApiDouble) -> TelegramUser:
    return bot_api.user("Olga")


@pytest.fixture(scope="package")
def bot_class() -> type[BillingBot]:
    return BillingBot


@pytest.fixture(scope="package")
def bot_settings(yookassa_double: YooKassaDouble, operator: TelegramUser) -> dict[str, str]:
    return {
        "BOT_HTTP_PORT": str(free_port()),  # where YooKassa posts its notifications
        "DELIVERY_ENABLED": "true",
        "ADMIN_USER_IDS": str(operator.id),
        **billing_environment(yookassa_double),
    }


@pytest.fixture
def yk(yookassa_double: YooKassaDouble) -> YooKassaDouble:
    return yookassa_double
