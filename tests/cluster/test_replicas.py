"""Two bot replicas behind one webhook URL share conversations through Redis (SPEC 10)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.cluster.webhook import PATH, secret_token
from sandbox.botapi import BotApiDouble
from sandbox.ports import free_port
from sandbox.programs import BotProcess
from sandbox.seed import offer_device
from tests.cluster.load_balancer import RoundRobin
from tests.kit.sql import device_id, links

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
async def telegram() -> AsyncIterator[BotApiDouble]:
    # A bot id of its own: conversations kept in Redis by earlier runs can never be this bot's.
    double = BotApiDouble(token=f"{secrets.randbelow(10**9) + 10**9}:replicas-{secrets.token_hex(8)}")
    await double.start()
    yield double
    await double.close()


@pytest.fixture(scope="module")
async def replicas(
    telegram: BotApiDouble, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RoundRobin]:
    """Two bots in webhook mode with Redis, behind a round-robin balancer at their one webhook URL."""
    ports = [free_port(), free_port()]
    balancer = RoundRobin(backends=ports)
    await balancer.start()
    bots: list[BotProcess] = []
    try:
        for port in ports:
            settings = {"BOT_WEBHOOK_URL": balancer.url + PATH, "REDIS_URL": REDIS_URL}
            workdir = tmp_path_factory.mktemp("bot")
            bots.append(BotProcess(telegram, database_url, workdir, BOT_HTTP_PORT=str(port), **settings))
            await bots[-1].launch()
        yield balancer
    finally:
        for bot in bots:
            await bot.stop()
        await balancer.close()


async def test_add_prompt_started_on_one_replica_is_answered_through_the_other(
    telegram: BotApiDouble,
    replicas: RoundRobin,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
) -> None:
    alice = telegram.user("Alice")
    uid, code = await offer_device(sessionmaker)

    first = alice.send("/add")
    prompt = await alice.next_message(timeout=30)
    assert "8-character code" in (prompt.text or "")
    second = alice.send(code)
    reply = await alice.next_message(timeout=30)

    assert "Paired" in (reply.text or "")
    assert await links(engine, await device_id(engine, uid)) == {alice.id: "owner"}
    assert replicas.routed[first] != replicas.routed[second]


async def test_webhook_refuses_a_post_without_the_secret_token(
    telegram: BotApiDouble, replicas: RoundRobin
) -> None:
    update = {
        "update_id": 999_999,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}},
    }
    url = f"http://127.0.0.1:{replicas.backends[0]}{PATH}"
    async with aiohttp.ClientSession() as client:
        async with client.post(url, json=update) as response:
            assert response.status == 401
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "not-" + secret_token(telegram.token)[4:]}
        async with client.post(url, json=update, headers=wrong) as response:
            assert response.status == 401
        right = {"X-Telegram-Bot-Api-Secret-Token": secret_token(telegram.token)}
        async with client.post(url, json={"update_id": 999_998}, headers=right) as response:
            assert response.status == 200


async def test_the_webhook_registered_carries_the_secret_token(
    telegram: BotApiDouble, replicas: RoundRobin
) -> None:
    registered = [call for call in telegram.calls if call.method == "setWebhook"]
    assert {call.params["url"] for call in registered} == {replicas.url + PATH}
    assert {call.params["secret_token"] for call in registered} == {secret_token(telegram.token)}


async def test_an_unreachable_redis_stops_the_bot_with_one_clear_line(
    telegram: BotApiDouble, database_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(telegram, database_url, tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    bot.start()
    assert await bot.wait_exit(120) != 0
    text = bot.output()
    assert "Traceback" not in text
    assert text.strip().splitlines()[-1].startswith("configuration error: REDIS_URL: Redis cannot be reached")
