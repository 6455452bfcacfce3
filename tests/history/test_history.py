"""/history through the Bot API double: a PNG chart, and buttons that redraw it in place."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core import catalogue
from sandbox.botapi import BotApiDouble, BotMessage
from sandbox.seed import now, offer_device, reading, readings, store
from tests.kit.chat import pair
from tests.kit.sql import device_id, execute

Sessions = async_sessionmaker[AsyncSession]
PHONE_WIDTH = 1080


def image(message: BotMessage) -> Image.Image:
    assert message.content is not None
    picture = Image.open(io.BytesIO(message.content))
    assert picture.format == "PNG"
    picture.load()
    return picture


async def _device_with_a_week(tg_user_engine: AsyncEngine, database_url: str, device: int) -> None:
    moment = now()
    await store(database_url, readings(device, moment - timedelta(days=7), moment))


async def test_history_sends_a_chart_and_its_buttons_redraw_it_in_place(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine, database_url: str
) -> None:
    alice = tg.user("Alice")
    device = await pair(alice, sessionmaker, engine)
    await _device_with_a_week(engine, database_url, device)
    await execute(engine, "UPDATE users SET timezone = 'Asia/Kolkata' WHERE telegram_id = :id", id=alice.id)

    alice.send("/history")
    chart = await alice.next_message(timeout=30)
    assert chart.method == "sendPhoto"
    assert chart.text == "📈 CO2 monitor #1 · 24 h · times in Asia/Kolkata"
    assert image(chart).width == PHONE_WIDTH
    all_metrics_height = image(chart).height
    assert chart.button_texts == ["6 h", "• 24 h", "7 d", "30 d", "• All", "CO₂", "🌡 Temp", "💧 Humidity"]

    alice.press("7 d")
    week = await alice.next_message(timeout=30)
    assert (week.method, week.message_id) == ("editMessageMedia", chart.message_id)
    assert week.text == "📈 CO2 monitor #1 · 7 d · times in Asia/Kolkata"
    assert image(week).width == PHONE_WIDTH
    assert "• 7 d" in week.button_texts
    await alice.next_answer()

    alice.press("CO₂")
    co2 = await alice.next_message(timeout=30)
    assert (co2.method, co2.message_id) == ("editMessageMedia", chart.message_id)
    assert "• CO₂" in co2.button_texts and "• 7 d" in co2.button_texts
    # One panel instead of three: the picture is shorter.
    assert image(co2).height < all_metrics_height
    await alice.next_answer()
    assert tg.calls_to("sendPhoto", alice.id).__len__() == 1


async def test_a_computer_gets_the_buttons_its_catalogue_type_declares_whatever_its_readings_carry(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine, database_url: str
) -> None:
    """The buttons come from core.catalogue's `host` entry: its readings so far carry no CPU at all."""
    grace = tg.user("Grace")
    uid, code = await offer_device(sessionmaker, "host")
    grace.send(f"/add {code}")
    assert "Paired: Computer #1" in ((await grace.next_message()).text or "")
    device = await device_id(engine, uid)
    moment = now()
    await store(database_url, [reading(device, moment - timedelta(minutes=m), load1=1.5) for m in range(5)])

    grace.send("/history")
    chart = await grace.next_message(timeout=30)
    assert chart.method == "sendPhoto"
    assert chart.button_texts == ["6 h", "• 24 h", "7 d", "30 d", "• All", "🖥 CPU", "🧠 RAM", "💽 Disk"]
    assert catalogue.device_type("host").history_buttons == ("cpu_percent", "mem_percent", "disk_percent")


async def test_without_a_current_device_history_asks_which_one(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    bob = tg.user("Bob")
    await pair(bob, sessionmaker, engine)
    await pair(bob, sessionmaker, engine)
    await execute(engine, "UPDATE users SET current_device_id = NULL WHERE telegram_id = :id", id=bob.id)

    bob.send("/history")
    picker = await bob.next_message()
    assert picker.text == "Which device's history?"
    assert picker.button_texts == ["CO2 monitor #1", "CO2 monitor #2"]
    bob.press("CO2 monitor #2")
    chart = await bob.next_message(timeout=30)
    assert chart.method == "sendPhoto"
    assert (chart.text or "").startswith("📈 CO2 monitor #2 · 24 h")
    # No readings yet: still a picture (saying so), at the phone's width.
    assert image(chart).width == PHONE_WIDTH
    await bob.next_answer()


async def test_history_with_no_devices_says_how_to_pair(tg: BotApiDouble) -> None:
    carol = tg.user("Carol")
    carol.send("/history")
    assert (await carol.next_message()).text == "You have no devices yet. Pair one with /add CODE."


async def test_charts_being_drawn_do_not_hold_up_other_users(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine, database_url: str
) -> None:
    """Five charts queue in the rendering pool; /status of someone else is answered before the last one."""
    dave, erin = tg.user("Dave"), tg.user("Erin")
    device = await pair(dave, sessionmaker, engine)
    await _device_with_a_week(engine, database_url, device)
    await pair(erin, sessionmaker, engine)
    for _ in range(5):
        dave.press_raw(f"hist:{device}:7d:all")
    erin.send("/status")
    status = await erin.next_message(timeout=30)
    assert "CO2 monitor #1" in (status.text or "")
    photos = [await dave.next_message(timeout=60) for _ in range(5)]
    assert all(photo.method in {"sendPhoto", "editMessageMedia"} for photo in photos)
    status_call = next(c for c in tg.calls_to("sendMessage", erin.id) if "CO2 monitor" in c.params["text"])
    last_chart = max(
        c.at
        for c in tg.calls
        if c.method in {"sendPhoto", "editMessageMedia"} and c.params.get("chat_id") == str(dave.id)
    )
    assert status_call.at < last_chart
