"""The Bot API double itself, driven by aiogram's own client: what charts and exports will rely on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import BufferedInputFile, InputMediaPhoto

from sandbox.botapi import BotApiDouble

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
async def double() -> AsyncIterator[BotApiDouble]:
    double = BotApiDouble()
    await double.start()
    yield double
    await double.close()


@pytest.fixture
async def bot(double: BotApiDouble) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(double.url))
    bot = Bot(double.token, session=session)
    yield bot
    await bot.session.close()


async def test_photos_documents_and_media_edits_reach_the_chat(double: BotApiDouble, bot: Bot) -> None:
    alice = double.user("Alice")
    photo = await bot.send_photo(alice.id, BufferedInputFile(PNG, "chart.png"), caption="CO2, 24 h")
    received = await alice.next_message()
    assert (received.method, received.text, received.content) == ("sendPhoto", "CO2, 24 h", PNG)

    await bot.edit_message_media(
        InputMediaPhoto(media=BufferedInputFile(PNG + b"2", "chart.png"), caption="CO2, 7 d"),
        chat_id=alice.id,
        message_id=photo.message_id,
    )
    edited = await alice.next_message()
    assert (edited.method, edited.message_id, edited.text, edited.content) == (
        "editMessageMedia",
        photo.message_id,
        "CO2, 7 d",
        PNG + b"2",
    )

    await bot.send_document(alice.id, BufferedInputFile(b"ts,co2\n", "export.csv"))
    document = await alice.next_message()
    assert (document.method, document.content) == ("sendDocument", b"ts,co2\n")
    assert document.raw["document"]["file_name"] == "export.csv"

    await bot.delete_message(alice.id, photo.message_id)
    assert (await alice.next_message()).method == "deleteMessage"
    assert photo.message_id not in double.chat_messages(alice.id)


async def test_edits_follow_telegram_rules(double: BotApiDouble, bot: Bot) -> None:
    bob = double.user("Bob")
    sent = await bot.send_message(bob.id, "hello")
    await bot.edit_message_text("hello again", chat_id=bob.id, message_id=sent.message_id)
    assert (await bob.next_message()).text == "hello"
    assert (await bob.next_message()).text == "hello again"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("hello again", chat_id=bob.id, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=bob.id, message_id=999)


async def test_blocked_and_throttled_chats_fail_like_telegram(double: BotApiDouble, bot: Bot) -> None:
    carol = double.user("Carol")
    double.block(carol.id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(carol.id, "hi")
    double.unblock(carol.id)
    double.throttle(carol.id, retry_after=7, times=1)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(carol.id, "hi")
    assert caught.value.retry_after == 7
    await bot.send_message(carol.id, "hi")
    assert [call.error for call in double.calls_to("sendMessage", carol.id)] == [403, 429, None]


async def test_get_updates_waits_for_an_update_and_honours_the_offset(double: BotApiDouble, bot: Bot) -> None:
    dave = double.user("Dave")
    assert await bot.get_updates(timeout=0) == []
    dave.send("/start")
    first = await bot.get_updates(timeout=5)
    assert [update.message.text for update in first if update.message] == ["/start"]
    # Confirming with offset = last id + 1 drops it; a long poll then waits for the next update.
    pending = bot.get_updates(offset=first[-1].update_id + 1, timeout=5)
    dave.send("/help")
    second = await pending
    assert [update.message.text for update in second if update.message] == ["/help"]
