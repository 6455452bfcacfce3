"""Fixtures for the operators' tests: the package's bot knows one operator (ADMIN_USER_IDS) and delivers the
outbox (broadcasts are outbox rows); a test may kill it, and `tg` starts it again."""

from __future__ import annotations

import pytest

from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.ports import free_port
from tests.kit.fixtures import *  # noqa: F403 - this package gets its own database, broker and bot
from tests.kit.fixtures import DELIVERING


@pytest.fixture(scope="package")
def operator(bot_api: BotApiDouble) -> TelegramUser:
    """The one Telegram user in ADMIN_USER_IDS."""
    return bot_api.user("Opal", username="opal_ops")


@pytest.fixture(autouse=True)
def operator_inbox_read(operator: TelegramUser) -> None:
    """Each test reads the operator's chat from its own start: what an earlier test left unread (its own copy
    of a broadcast, a late progress edit) is not this test's answer."""
    operator.drain()


@pytest.fixture(scope="package")
def admin_http_port() -> int:
    """The bot's HTTP side (/metrics, /healthz)."""
    return free_port()


@pytest.fixture(scope="package")
def bot_settings(operator: TelegramUser, admin_http_port: int) -> dict[str, str]:
    return {**DELIVERING, "ADMIN_USER_IDS": str(operator.id), "BOT_HTTP_PORT": str(admin_http_port)}


@pytest.fixture(autouse=True)
def _operator_starts_with_an_empty_chat(operator: TelegramUser) -> None:
    """What an earlier test left in the operator's chat is not this test's answer."""
    operator.drain()
