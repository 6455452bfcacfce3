"""/devices, the device card, /status and /select."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.views.fitting import MESSAGE_LENGTH, telegram_length
from core.services.devices import NAME_MAX_LENGTH
from core.services.pairing import offer_code
from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.seed import add_reading, now, offer_device, pair_device
from tests.kit.chat import open_card, pair, started_user
from tests.kit.sql import fetch, links, set_status
from tests.kit.wait import eventually, until_text

Sessions = async_sessionmaker[AsyncSession]


async def test_device_shows_in_devices_and_status_with_its_reading(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice = tg.user("Alice")
    device = await pair(alice, sessionmaker, engine)
    seen = now() - timedelta(minutes=3, seconds=10)
    await add_reading(engine, device, seen - timedelta(minutes=5), co2=500, temperature=20.0, humidity=30)
    await add_reading(engine, device, seen, co2=1250, temperature=25.14, humidity=41)
    await set_status(engine, device, online=True, last_seen=seen)

    alice.send("/devices")
    listing = await alice.next_message()
    assert listing.text is not None
    assert "🟢 CO2 monitor #1 — owner" in listing.text
    assert "🟠 CO2 1250 ppm · 🌡 25.1 °C · 💧 41 %" in listing.text
    assert listing.button_texts == ["🟢 CO2 monitor #1"]

    alice.send("/status")
    status = await alice.next_message()
    assert status.text is not None
    assert "🟠 CO2 1250 ppm · 🌡 25.1 °C · 💧 41 %" in status.text
    assert "online · seen 3 min ago" in status.text


async def test_status_shows_an_offline_device_plainly_with_local_time(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    bob = tg.user("Bob", language_code="ru")
    device = await pair(bob, sessionmaker, engine)
    seen = now() - timedelta(hours=5)
    await add_reading(engine, device, seen, co2=600)
    await set_status(engine, device, online=False, last_seen=seen)
    bob.send("/status")
    status = await bob.next_message()
    local = seen.astimezone(ZoneInfo("Europe/Moscow")).strftime("%H:%M")
    assert status.text is not None
    assert "⚫ CO2 monitor #1" in status.text
    assert "🟢 CO2 600 ppm" in status.text
    assert f"не в сети · на связи в {local}" in status.text


async def test_status_without_devices_says_how_to_add_one(tg: BotApiDouble) -> None:
    carol = tg.user("Carol")
    carol.send("/status")
    assert "/add" in ((await carol.next_message()).text or "")


async def test_card_renames_locates_and_switches_notifications(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    dave = tg.user("Dave")
    device = await pair(dave, sessionmaker, engine)
    card = await open_card(dave, "CO2 monitor #1")
    assert "Your role: owner" in (card.text or "")
    assert "Notifications: on" in (card.text or "")

    dave.press("✏️ Rename")
    assert "Send the new name" in ((await dave.next_message()).text or "")
    await dave.next_answer()
    dave.send("Bedroom sensor")
    assert "Renamed to Bedroom sensor" in ((await dave.next_message()).text or "")

    dave.press("« Back")
    await dave.next_message()
    await dave.next_answer()
    dave.press("📍 Location")
    await dave.next_message()
    await dave.next_answer()
    dave.send("Bedroom")
    assert "Location saved" in ((await dave.next_message()).text or "")

    dave.press("« Back")
    card = await dave.next_message()
    await dave.next_answer()
    assert "📟 Bedroom sensor" in (card.text or "")
    assert "Location: Bedroom" in (card.text or "")

    dave.press("🔕 Turn notifications off")
    card = await dave.next_message()
    answer = await dave.next_answer()
    assert answer.text == "Notifications are off."
    assert "Notifications: off" in (card.text or "")
    rows = await fetch(engine, "SELECT name, location FROM devices WHERE id = :id", id=device)
    assert rows == [("Bedroom sensor", "Bedroom")]
    assert await fetch(engine, "SELECT notifications FROM user_devices WHERE device_id = :id", id=device) == [
        (False,)
    ]


async def test_a_too_long_name_is_refused_and_can_be_retyped(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    erin = tg.user("Erin")
    device = await pair(erin, sessionmaker, engine)
    await open_card(erin, "CO2 monitor #1")
    erin.press("✏️ Rename")
    await erin.next_message()
    await erin.next_answer()
    erin.send("x" * 65)
    assert "1 to 64 characters" in ((await erin.next_message()).text or "")
    erin.send("Kitchen")
    assert "Renamed to Kitchen" in ((await erin.next_message()).text or "")
    assert await fetch(engine, "SELECT name FROM devices WHERE id = :id", id=device) == [("Kitchen",)]


async def test_owner_removes_a_device_and_it_can_be_paired_anew(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    frank, grace = tg.user("Frank"), tg.user("Grace")
    uid, code = await offer_device(sessionmaker)
    frank.send(f"/add {code}")
    await frank.next_message()
    await open_card(frank, "CO2 monitor #1")
    frank.press("🗑 Remove")
    confirm = await frank.next_message()
    await frank.next_answer()
    assert "Remove CO2 monitor #1?" in (confirm.text or "")
    frank.press("Yes, remove it")
    assert "was removed" in ((await frank.next_message()).text or "")
    rows = await fetch(engine, "SELECT id, paired_at, name FROM devices WHERE device_uid = :uid", uid=uid)
    device, paired_at, name = rows[0]
    assert (paired_at, name) == (None, None)
    assert await links(engine, device) == {}

    async with sessionmaker() as session:
        offer = await offer_code(session, uid, "co2", "2.0.1", now())
    assert offer is not None and offer.code != code
    grace.send(f"/add {offer.code}")
    assert "Paired: CO2 monitor #1" in ((await grace.next_message()).text or "")
    assert await links(engine, device) == {grace.id: "owner"}


async def test_select_sets_the_current_device(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    heidi = tg.user("Heidi")
    first = await pair(heidi, sessionmaker, engine)
    second = await pair(heidi, sessionmaker, engine)
    heidi.send("/select")
    menu = await heidi.next_message()
    assert menu.button_texts == ["✅ CO2 monitor #1", "CO2 monitor #2"]
    heidi.press("CO2 monitor #2")
    chosen = await heidi.next_message()
    await heidi.next_answer()
    assert "Current device: CO2 monitor #2" in (chosen.text or "")
    assert chosen.button_texts == ["CO2 monitor #1", "✅ CO2 monitor #2"]
    current = await fetch(engine, "SELECT current_device_id FROM users WHERE telegram_id = :id", id=heidi.id)
    assert current == [(second,)]
    assert first != second


async def test_many_devices_with_long_names_are_cut_to_one_message_with_how_many_more(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    # The Bot API double refuses a text over 4096 characters as Telegram does: an uncut reply never arrives.
    erin, erin_id = await started_user(tg, engine, "Erin")
    wing = "in the far corner of the east wing " * 2
    names = [(f"Sensor {n:02} " + wing)[:NAME_MAX_LENGTH] for n in range(60)]
    for name in names:
        device = await pair_device(sessionmaker, owner_id=erin_id, name=name)
        await add_reading(engine, device, now(), co2=1250, temperature=25.1, humidity=41)

    for command, title in (("/status", "Current readings"), ("/devices", "Your devices"), ("/watch", "Live")):
        erin.send(command)
        reply = await until_text(erin, title)
        text = reply.text or ""
        assert telegram_length(text) <= MESSAGE_LENGTH, command
        shown = sum(name in text for name in names)
        assert 10 < shown < len(names), command
        assert f"…and {len(names) - shown} more." in text, command
    assert text.endswith("/stop ends it."), "the live view keeps its footer below the cut"
    erin.send("/stop")
    await until_text(erin, "Live readings stopped")
    ended = await eventually(lambda: _text_when(erin, reply.message_id, "Live readings ended"))
    assert telegram_length(ended) <= MESSAGE_LENGTH and f"…and {len(names) - shown} more." in ended


async def _text_when(user: TelegramUser, message_id: int, needle: str) -> str | None:
    text = str(user.double.chat_messages(user.id)[message_id].get("text", ""))
    return text if needle in text else None
