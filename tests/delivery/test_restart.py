"""A bot stopped or killed in the middle of a delivery, Telegram out of reach: no notice lost, none twice."""

from __future__ import annotations

from collections import Counter

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery.settings import DeliverySettings
from bot.delivery.worker import DeliveryWorker
from bot.texts import Catalogue
from core.supervisor import Supervisor
from sandbox.botapi import BotApiDouble
from sandbox.ports import free_port
from sandbox.programs import BotProcess
from sandbox.seed import Sessions, share
from tests.delivery.helpers import all_settled, co2_high, delivered, fan_out, outbox_statuses
from tests.kit.chat import owner_with_device, started_user
from tests.kit.sql import fetch
from tests.kit.wait import eventually

NOTICES = 5


async def _accepted(tg: BotApiDouble, chats: list[int], mark: int, at_least: int) -> bool:
    return sum(len(delivered(tg, chat, mark)) for chat in chats) >= at_least


async def _between_sends(
    tg: BotApiDouble, engine: AsyncEngine, people: list[tuple[int, int]], mark: int
) -> bool:
    """Some notices went out and each one Telegram took is recorded as sent: no send is under way.

    The one moment a crash can still duplicate a notice is between Telegram's answer and that record (see
    core.services.outbox: a duplicate is preferred to a loss there); killing inside those milliseconds
    would only show that documented window, so the kill lands between two sends, with rows still leased.
    """
    sent = 0
    for _, uid in people:
        sent += (await outbox_statuses(engine, uid)).count("sent")
    accepted = sum(len(delivered(tg, chat, mark)) for chat, _ in people)
    return accepted >= 3 and sent == accepted


async def test_a_bot_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions, bot: BotProcess
) -> None:
    owner, owner_id, device = await owner_with_device(tg, engine, sessionmaker, "Kim")
    people = [(owner, owner_id)]
    for name in ("Lev", "Mia"):
        viewer, viewer_id = await started_user(tg, engine, name)
        await share(sessionmaker, viewer_id, device)
        people.append((viewer, viewer_id))
    chats = [who.id for who, _ in people]
    tg.throttle(chats[1], retry_after=3, times=1)
    mark = len(tg.calls)

    # Five notices for three users: fifteen rows, at most one message a second per chat.
    await fan_out(sessionmaker, *(co2_high(device, 1100 + n) for n in range(NOTICES)))
    await eventually(lambda: _between_sends(tg, engine, [(w.id, uid) for w, uid in people], mark))
    bot.kill()
    before = sum(len(delivered(tg, chat, mark)) for chat in chats)
    assert before < NOTICES * len(chats)

    await bot.launch()
    await eventually(lambda: all_settled(engine, *(uid for _, uid in people)), within=60)
    for chat, (_, uid) in zip(chats, people, strict=True):
        texts = Counter(delivered(tg, chat, mark))
        assert len(texts) == NOTICES, f"chat {chat} lost notices: {texts}"
        assert set(texts.values()) == {1}, f"chat {chat} got duplicates: {texts}"
        assert set(await outbox_statuses(engine, uid)) == {"sent"}


async def test_sigterm_mid_delivery_hands_unsent_rows_back_for_the_next_start(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions, bot: BotProcess
) -> None:
    owner, owner_id, device = await owner_with_device(tg, engine, sessionmaker, "Nina")
    mark = len(tg.calls)
    await fan_out(sessionmaker, *(co2_high(device, 1200 + n) for n in range(NOTICES)))
    await eventually(lambda: _accepted(tg, [owner.id], mark, 1))

    assert await bot.stop() == 0
    statuses = await outbox_statuses(engine, owner_id)
    # Nothing is left leased: what was not sent is pending again, so the next start need not wait for a lease.
    assert set(statuses) <= {"sent", "pending"} and "pending" in statuses

    await bot.launch()
    await eventually(lambda: all_settled(engine, owner_id), within=30)
    texts = delivered(tg, owner.id, mark)
    assert sorted(texts) == sorted(set(texts)) and len(texts) == NOTICES


def _worker(url: str, sessions: Sessions, token: str) -> tuple[Bot, DeliveryWorker]:
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    settings = DeliverySettings(
        DELIVERY_LEASE_SECONDS=8, DELIVERY_REQUEST_TIMEOUT=2, DELIVERY_POLL_SECONDS=0.2
    )
    return bot, DeliveryWorker(bot, sessions, Catalogue(), settings)


async def test_a_notice_that_could_not_reach_telegram_is_retried_after_a_backoff(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions, bot: BotProcess
) -> None:
    owner, owner_id, device = await owner_with_device(tg, engine, sessionmaker, "Otto")
    await bot.stop()  # this test runs its own workers, in this process
    mark = len(tg.calls)
    row = "SELECT status, attempts, error IS NOT NULL FROM notification_outbox WHERE user_id = :u"

    # Telegram unreachable (nothing listens on that port): a transient failure, retried later.
    client, worker = _worker(f"http://127.0.0.1:{free_port()}", sessionmaker, tg.token)
    worker.start(Supervisor("test"))
    try:
        await fan_out(sessionmaker, co2_high(device, 1210))
        await eventually(lambda: _rows(engine, row, owner_id, [("pending", 1, True)]))
    finally:
        await worker.stop()
        await client.session.close()

    client, worker = _worker(tg.url, sessionmaker, tg.token)
    worker.start(Supervisor("test"))
    try:
        assert "1210 ppm" in ((await owner.next_message(timeout=15)).text or "")
        await eventually(lambda: all_settled(engine, owner_id))
    finally:
        await worker.stop()
        await client.session.close()
    assert await fetch(engine, row, u=owner_id) == [("sent", 2, False)]
    assert len(delivered(tg, owner.id, mark)) == 1


async def _rows(engine: AsyncEngine, sql: str, user: int, wanted: list[tuple[object, ...]]) -> bool:
    return await fetch(engine, sql, u=user) == wanted
