"""/broadcast: composed, previewed, confirmed; delivered once to each recipient through kills, after alerts,
within Telegram's answers (403 counts as failed), and stopped by Cancel."""

from __future__ import annotations

import io
import secrets
import time
from collections import Counter

from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from sandbox.botapi import BotApiDouble, BotMessage, TelegramUser
from sandbox.programs import BotProcess
from sandbox.seed import Sessions
from tests.delivery.helpers import co2_high, fan_out
from tests.kit.chat import pair
from tests.kit.sql import execute, fetch
from tests.kit.wait import eventually


async def _recipients(tg: BotApiDouble, engine: AsyncEngine, count: int, name: str) -> list[TelegramUser]:
    """`count` users who started the bot long ago: rows as /start leaves them. Everyone else is made
    unreachable, so the audience "all active users" is these people and whoever writes to the bot after this
    (the operator, who is active again with their next message)."""
    people = [tg.user(f"{name}{n}") for n in range(count)]
    await execute(engine, "UPDATE users SET is_active = false")
    await execute(
        engine,
        "INSERT INTO users (telegram_id, first_name, language)"
        " SELECT unnest(CAST(:ids AS bigint[])), :name, 'en'"
        " ON CONFLICT (telegram_id) DO UPDATE SET is_active = true",
        ids=[person.id for person in people],
        name=name,
    )
    return people


def _received(tg: BotApiDouble, chats: list[int], text: str, after: int) -> Counter[int]:
    """How many times each chat was sent `text` (accepted by Telegram, 429 and 403 excluded)."""
    wanted = set(chats)
    return Counter(
        int(call.params["chat_id"])
        for call in tg.calls[after:]
        if call.method in ("sendMessage", "sendPhoto")
        and call.error is None
        and int(call.params["chat_id"]) in wanted
        and text in str(call.params.get("text", call.params.get("caption", "")))
    )


async def _compose(operator: TelegramUser, text: str, audience: str = "👥 All active users") -> BotMessage:
    """/broadcast → text → audience → preview and confirmation → Send; returns the preview."""
    operator.send("/broadcast")
    assert "Send the message for everyone" in ((await operator.next_message()).text or "")
    operator.send(text)
    assert "Who should get it?" in ((await operator.next_message()).text or "")
    return await _choose_and_send(operator, audience)


async def _choose_and_send(operator: TelegramUser, audience: str) -> BotMessage:
    operator.press(audience)
    await operator.next_answer()
    preview = await operator.next_message()
    confirmation = await operator.next_message()
    assert "This is how it will look" in (confirmation.text or "")
    operator.press("✅ Send")
    await operator.next_answer()
    return preview


async def _progress(operator: TelegramUser, text: str) -> BotMessage:
    """The progress message the confirmation turns into. The operator is in the audience too, and their own
    copy of `text` may be delivered before that edit lands."""
    message = await operator.next_message()
    return await operator.next_message() if message.text == text else message


async def _sent_rows(engine: AsyncEngine, chats: list[int]) -> int:
    rows = await fetch(
        engine,
        "SELECT count(*) FROM notification_outbox o JOIN users u ON u.id = o.user_id"
        " WHERE o.broadcast_id IS NOT NULL AND o.status = 'sent' AND u.telegram_id = ANY(:chats)",
        chats=chats,
    )
    return int(rows[0][0])


async def _kill_between_sends(
    tg: BotApiDouble, engine: AsyncEngine, bot: BotProcess, chats: list[int]
) -> None:
    """Kill the bot while no message Telegram accepted is still unrecorded.

    That moment (between Telegram's answer and the commit of `sent`) is the one documented window for a
    duplicate (core.services.broadcast). To land the kill outside it, every recipient answers 429 for a while
    (so nothing new is accepted) until the database has recorded every accepted message.
    """
    for chat in chats:
        tg.throttle(chat, retry_after=1, times=10_000)
    await eventually(lambda: _recorded_all(tg, engine, chats), within=30)
    bot.kill()
    for chat in chats:
        tg.unthrottle(chat)


async def _recorded_all(tg: BotApiDouble, engine: AsyncEngine, chats: list[int]) -> bool:
    """Every message Telegram took for these chats (a call is recorded as it arrives) is `sent` in the
    database: no send is between Telegram's answer and its record."""
    return await _sent_rows(engine, chats) == sum(_received(tg, chats, "", 0).values())


async def test_a_broadcast_to_300_users_killed_twice_reaches_each_exactly_once(
    tg: BotApiDouble, operator: TelegramUser, engine: AsyncEngine, bot: BotProcess
) -> None:
    people = await _recipients(tg, engine, 300, "Kit")
    chats = [person.id for person in people]
    text = f"Maintenance tonight at 02:00 ({secrets.token_hex(3)})"
    mark = len(tg.calls)

    preview = await _compose(operator, text)
    progress = await _progress(operator, text)
    assert "Broadcast #" in (progress.text or "") and "left" in (progress.text or "")

    for threshold in (60, 160):
        await eventually(lambda t=threshold: _at_least(tg, chats, text, mark, t), within=90)
        await _kill_between_sends(tg, engine, bot, chats)
        assert 0 < sum(_received(tg, chats, text, mark).values()) < 300
        await bot.launch()

    report = await _wait_for_text(operator, "finished", within=120)
    assert "delivered to 301 of 301" in report, report  # the 300 and the operator
    received = _received(tg, chats, text, mark)
    assert set(received) == set(chats), f"{300 - len(received)} recipients skipped"
    assert set(received.values()) == {1}, f"duplicates: {[c for c, n in received.items() if n > 1]}"
    # The preview is the message itself: same text, no buttons, nothing added.
    first = next(call for call in tg.calls_to("sendMessage", chats[0]) if call.error is None)
    assert preview.text == first.params["text"] == text
    assert preview.buttons == [] and not first.params.get("reply_markup")
    # The progress message was kept up to date in place.
    edits = tg.calls_to("editMessageText", operator.id)
    assert any(str(call.params["text"]).startswith(progress_head(progress)) for call in edits)


def progress_head(progress: BotMessage) -> str:
    """ "📣 Broadcast #7: sent" of the first progress line."""
    return (progress.text or "").split(":", 1)[0] + ": sent"


async def _at_least(tg: BotApiDouble, chats: list[int], text: str, after: int, count: int) -> bool:
    return sum(_received(tg, chats, text, after).values()) >= count


async def _wait_for_text(user: TelegramUser, fragment: str, within: float) -> str:
    deadline = time.monotonic() + within
    while True:
        message = await user.next_message(timeout=max(deadline - time.monotonic(), 0.1))
        if fragment in (message.text or "") and message.method == "sendMessage":
            return message.text or ""


async def test_a_photo_broadcast_counts_a_user_who_blocked_the_bot_as_failed_and_marks_them_inactive(
    tg: BotApiDouble, operator: TelegramUser, engine: AsyncEngine
) -> None:
    people = await _recipients(tg, engine, 4, "Pia")
    chats = [person.id for person in people]
    tg.block(chats[0])
    mark = len(tg.calls)

    operator.send("/broadcast")
    await operator.next_message()
    # The operator's photo, as Telegram keeps it: the bot sends it on by file_id.
    photo = tg.files.add("photos", _png(640, 480), "sensor.png")
    tg.push_update({"message": _photo_message(tg, operator, photo.file_id, "Meet the new sensor")})
    assert "Who should get it?" in ((await operator.next_message()).text or "")
    preview = await _choose_and_send(operator, "👥 All active users")
    assert preview.method == "sendPhoto" and preview.text == "Meet the new sensor"

    report = await _wait_for_text(operator, "finished", within=60)
    assert "delivered to 4 of 5, failed 1" in report, report  # three people and the operator
    photos = [call for call in tg.calls[mark:] if call.method == "sendPhoto" and call.error is None]
    # Each reachable recipient once; the operator twice: the preview and their own copy.
    assert sorted(int(call.params["chat_id"]) for call in photos) == sorted(
        [*chats[1:], operator.id, operator.id]
    )
    assert {(call.params["photo"], call.params["caption"]) for call in photos} == {
        (photo.file_id, "Meet the new sensor")
    }
    inactive = await fetch(engine, "SELECT is_active FROM users WHERE telegram_id = :id", id=chats[0])
    assert inactive == [(False,)]


def _png(width: int, height: int) -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(image, format="PNG")
    return image.getvalue()


def _photo_message(tg: BotApiDouble, sender: TelegramUser, file_id: str, caption: str) -> dict[str, object]:
    size = {"file_id": file_id, "file_unique_id": file_id[:16], "width": 640, "height": 480}
    return {
        "message_id": tg.next_message_id(sender.id),
        "date": int(time.time()),
        "chat": sender.chat,
        "from": sender.as_telegram,
        "photo": [size],
        "caption": caption,
    }


async def test_an_alert_queued_during_a_broadcast_is_delivered_before_the_broadcast_goes_on(
    tg: BotApiDouble, operator: TelegramUser, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    people = await _recipients(tg, engine, 200, "Ray")
    chats = [person.id for person in people]
    owner = tg.user("Alma")
    owner.send("/start")
    await owner.next_message()
    device = await pair(owner, sessionmaker, engine)
    text = f"Spring sale ({secrets.token_hex(3)})"
    mark = len(tg.calls)
    await _compose(operator, text)
    await eventually(lambda: _at_least(tg, chats, text, mark, 30), within=60)

    queued_at = len(tg.calls)
    await fan_out(sessionmaker, co2_high(device, 1999))
    alert = await owner.next_message(timeout=30)
    while "1999 ppm" not in (alert.text or ""):  # Alma is in the audience too
        alert = await owner.next_message(timeout=30)
    await _wait_for_text(operator, "finished", within=60)
    alert_call = next(
        index
        for index, call in enumerate(tg.calls)
        if index >= queued_at and call.method == "sendMessage" and "1999" in str(call.params.get("text"))
    )
    before_alert = sum(_received(tg, chats, text, queued_at).values())
    after_alert = sum(_received(tg, chats, text, alert_call).values())
    # The alert waited for the broadcast rows already in flight (DELIVERY_BROADCAST_IN_FLIGHT) and for Alma's
    # one message a second: about a second of sends, while most of the broadcast was still to go.
    assert before_alert - after_alert <= 45, before_alert - after_alert
    assert after_alert > 100, after_alert


async def test_cancel_stops_a_broadcast_and_reports_what_went_out(
    tg: BotApiDouble, operator: TelegramUser, engine: AsyncEngine
) -> None:
    people = await _recipients(tg, engine, 200, "Cy")
    chats = [person.id for person in people]
    text = f"Oops, wrong draft ({secrets.token_hex(3)})"
    mark = len(tg.calls)
    await _compose(operator, text)
    progress = await _progress(operator, text)
    await eventually(lambda: _at_least(tg, chats, text, mark, 20), within=60)

    operator.press_raw(progress.button("⏹ Cancel the broadcast")["callback_data"], progress.message_id)
    answer = await operator.next_answer()
    assert answer.text is not None and "messages will not be sent" in answer.text
    await eventually(lambda: _nothing_in_flight(engine), within=30)
    rows = await fetch(
        engine,
        "SELECT o.status, count(*) FROM notification_outbox o JOIN users u ON u.id = o.user_id"
        " WHERE o.broadcast_id = (SELECT max(id) FROM broadcasts) AND u.telegram_id = ANY(:chats)"
        " GROUP BY o.status",
        chats=chats,
    )
    statuses = {str(status): int(count) for status, count in rows}
    assert set(statuses) == {"sent", "cancelled"}
    assert statuses["cancelled"] > 100
    assert sum(_received(tg, chats, text, mark).values()) == statuses["sent"]
    report = operator.double.chat_messages(operator.id)[progress.message_id]["text"]
    assert "cancelled" in report and "not sent" in report


async def _nothing_in_flight(engine: AsyncEngine) -> bool:
    rows = await fetch(
        engine,
        "SELECT count(*) FROM notification_outbox"
        " WHERE broadcast_id IS NOT NULL AND status IN ('pending', 'sending')",
    )
    return rows[0][0] == 0
