"""The sandbox's Bot API server, driven by aiogram's own client: what the bot, tests and web chat rely on."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from aiohttp import web
from PIL import Image

from core.web import serving
from sandbox.botapi import LAGGED, WATCH_BACKLOG, BotApiDouble


def png(width: int = 40, height: int = 30, colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="button", callback_data=data)]])


PNG = png()
PNG2 = png(colour="orange")


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
        InputMediaPhoto(media=BufferedInputFile(PNG2, "chart.png"), caption="CO2, 7 d"),
        chat_id=alice.id,
        message_id=photo.message_id,
    )
    edited = await alice.next_message()
    assert (edited.method, edited.message_id, edited.text, edited.content) == (
        "editMessageMedia",
        photo.message_id,
        "CO2, 7 d",
        PNG2,
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


async def test_text_captions_and_buttons_are_held_to_telegram_limits(double: BotApiDouble, bot: Bot) -> None:
    erin = double.user("Erin")
    # 4096 UTF-16 units fit; an emoji outside the BMP counts twice, so 2049 of them do not.
    await bot.send_message(erin.id, "x" * 4096)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(erin.id, "🌡" * 2049)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(erin.id, "   ")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(erin.id, BufferedInputFile(PNG, "c.png"), caption="c" * 1025)
    fits = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="ok", callback_data="d" * 64)]])
    await bot.send_message(erin.id, "fits", reply_markup=fits)
    too_long = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="no", callback_data="d" * 65)]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(erin.id, "too long", reply_markup=too_long)
    assert [m.get("text") for m in double.chat_messages(erin.id).values()] == ["x" * 4096, "fits"]


def buttons(count: int, per_row: int) -> InlineKeyboardMarkup:
    every = [InlineKeyboardButton(text=f"b{n}", callback_data=f"b:{n}") for n in range(count)]
    return InlineKeyboardMarkup(inline_keyboard=[every[i : i + per_row] for i in range(0, count, per_row)])


async def test_an_inline_keyboard_of_more_than_100_buttons_is_refused_like_telegram(
    double: BotApiDouble, bot: Bot
) -> None:
    fay = double.user("Fay")
    sent = await bot.send_message(fay.id, "a hundred", reply_markup=buttons(100, 1))
    for markup in (buttons(101, 1), buttons(101, 8)):  # all rows together count, however laid out
        with pytest.raises(TelegramBadRequest, match="Bad Request: reply markup is too long"):
            await bot.send_message(fay.id, "one too many", reply_markup=markup)
    with pytest.raises(TelegramBadRequest, match="reply markup is too long"):
        await bot.edit_message_reply_markup(
            chat_id=fay.id, message_id=sent.message_id, reply_markup=buttons(150, 2)
        )
    with pytest.raises(TelegramBadRequest, match="reply markup is too long"):
        await bot.send_photo(fay.id, BufferedInputFile(PNG, "c.png"), reply_markup=buttons(120, 3))
    assert [m.get("text") for m in double.chat_messages(fay.id).values()] == ["a hundred"]
    assert len(double.chat_messages(fay.id)[sent.message_id]["reply_markup"]["inline_keyboard"]) == 100


async def test_photos_over_10_mb_and_files_over_50_mb_are_refused(double: BotApiDouble, bot: Bot) -> None:
    frank = double.user("Frank")
    big_photo = PNG + b"\x00" * (10 * 1024 * 1024)
    with pytest.raises(TelegramBadRequest, match="PHOTO_SAVE_FILE_INVALID"):
        await bot.send_photo(frank.id, BufferedInputFile(big_photo, "big.png"))
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(frank.id, BufferedInputFile(b"not a picture", "x.png"))
    with pytest.raises(TelegramEntityTooLarge):
        await bot.send_document(frank.id, BufferedInputFile(b"\x00" * (50 * 1024 * 1024 + 1), "huge.bin"))
    # A 10 MB document is fine where a 10 MB photo is not.
    await bot.send_document(frank.id, BufferedInputFile(big_photo, "big.png"))
    assert (await frank.next_message()).method == "sendDocument"


async def test_edits_of_the_wrong_kind_or_of_unknown_messages_fail(double: BotApiDouble, bot: Bot) -> None:
    gina = double.user("Gina")
    text = await bot.send_message(gina.id, "text")
    photo = await bot.send_photo(gina.id, BufferedInputFile(PNG, "c.png"), caption="chart")
    with pytest.raises(TelegramBadRequest, match="there is no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=gina.id, message_id=text.message_id, caption="x")
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id=gina.id, message_id=photo.message_id)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_caption(chat_id=gina.id, message_id=photo.message_id, caption="chart")
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(gina.id, 999)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "nobody")


async def test_more_than_30_messages_a_second_get_429_with_retry_after(
    double: BotApiDouble, bot: Bot
) -> None:
    people = [double.user(f"P{n}") for n in range(40)]
    outcomes = await asyncio.gather(
        *(bot.send_message(person.id, "hi") for person in people), return_exceptions=True
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, TelegramRetryAfter)]
    assert 0 < len(refused) <= 10, outcomes
    assert all(outcome.retry_after >= 1 for outcome in refused)
    # After waiting as told, sending works again.
    await asyncio.sleep(refused[0].retry_after)
    await bot.send_message(people[0].id, "again")


async def test_sent_files_can_be_fetched_with_get_file_and_resent_by_id(
    double: BotApiDouble, bot: Bot
) -> None:
    hugo = double.user("Hugo")
    sent = await bot.send_document(hugo.id, BufferedInputFile(b"ts,co2\n1,420\n", "export.csv"))
    assert sent.document is not None
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None
    assert downloaded.read() == b"ts,co2\n1,420\n"
    again = await bot.send_document(hugo.id, sent.document.file_id)
    assert again.document is not None
    assert again.document.file_id == sent.document.file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(hugo.id, "no-such-file")


async def test_a_webhook_receives_updates_and_blocks_long_polling(double: BotApiDouble, bot: Bot) -> None:
    received: list[dict[str, object]] = []
    secrets: list[str | None] = []

    async def hook(request: web.Request) -> web.Response:
        secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        received.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/telegram", hook)
    async with serving(app, 0, host="127.0.0.1") as port:
        await bot.set_webhook(f"http://127.0.0.1:{port}/telegram", secret_token="s3cret")
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates(timeout=0)
        ivy = double.user("Ivy")
        ivy.send("/start")
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.05)
        assert received[0]["message"]["text"] == "/start"  # type: ignore[index]
        assert secrets == ["s3cret"]
        await bot.delete_webhook()
    ivy.send("/help")
    updates = await bot.get_updates(timeout=5)
    assert [update.message.text for update in updates if update.message] == ["/help"]


async def test_a_watcher_that_stops_reading_is_told_it_lagged_and_dropped(double: BotApiDouble) -> None:
    seen = []
    with double.watch() as slow, double.watch() as reader:
        for number in range(WATCH_BACKLOG + 10):
            double.publish({"kind": "test", "number": number})
            while not reader.empty():
                seen.append(reader.get_nowait()["number"])
        events = [slow.get_nowait() for _ in range(slow.qsize())]
        # The page that kept up saw everything; the one that did not gets "lagged" last and nothing after.
        assert seen == list(range(WATCH_BACKLOG + 10))
        assert events[-1] is LAGGED
        assert [event["number"] for event in events[:-1]] == list(range(WATCH_BACKLOG - 1))
