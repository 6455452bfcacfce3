"""/export through the Bot API double: the CSV a user downloads, in their time zone."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.services import export
from core.services.periods import Window
from sandbox.botapi import BotApiDouble, BotMessage
from sandbox.seed import now, pair_device, readings, store
from tests.kit.chat import pair
from tests.kit.sql import execute

Sessions = async_sessionmaker[AsyncSession]
BOM = "\ufeff"


def table(document: BotMessage) -> list[list[str]]:
    assert document.content is not None
    text = document.content.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text.removeprefix(BOM))))


async def test_export_sends_the_periods_readings_as_csv_in_the_users_time_zone(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine, database_url: str
) -> None:
    alice = tg.user("Alice")
    device = await pair(alice, sessionmaker, engine)
    await execute(engine, "UPDATE users SET timezone = 'Asia/Kolkata' WHERE telegram_id = :id", id=alice.id)
    end = now().replace(microsecond=0)
    start = end - timedelta(hours=2)
    await store(database_url, readings(device, start, end))  # 240 readings
    await store(database_url, readings(device, end - timedelta(days=3), end - timedelta(days=3, seconds=-60)))

    alice.send("/export")
    question = await alice.next_message()
    assert question.text == "Readings of CO2 monitor #1 for which period?"
    assert question.button_texts == ["24 h", "7 d", "30 d", "this month", "last month"]
    alice.press("24 h")
    await alice.next_answer()
    document = await alice.next_message(timeout=30)
    assert document.method == "sendDocument"
    assert document.text == "📄 CO2 monitor #1 · 24 h · 240 readings, times in Asia/Kolkata"
    assert str(document.raw["document"]["file_name"]).endswith(".csv")

    rows = table(document)
    assert rows[0] == ["time", "co2", "temperature", "humidity"]
    assert len(rows) == 1 + 240
    first = datetime.fromisoformat(rows[1][0])
    assert rows[1][0].endswith("+05:30")
    assert first == start
    assert first.utcoffset() == ZoneInfo("Asia/Kolkata").utcoffset(start.replace(tzinfo=None))
    co2, temperature, humidity = next(readings(device, start, start + timedelta(seconds=1)))[2:5]
    assert float(rows[1][1]) == pytest.approx(co2, abs=0.01)
    # Stored as 4-byte floats, written without float noise: 21.83 reads back as "21.83".
    assert (float(rows[1][2]), float(rows[1][3])) == (temperature, humidity)
    stamps = [datetime.fromisoformat(row[0]) for row in rows[1:]]
    assert stamps == sorted(stamps) and stamps[-1] == end - timedelta(seconds=30)


async def test_several_devices_are_picked_first_and_an_empty_period_says_so(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    bob = tg.user("Bob")
    await pair(bob, sessionmaker, engine)
    await pair(bob, sessionmaker, engine)
    bob.send("/export")
    picker = await bob.next_message()
    assert picker.text == "Which device's readings?"
    bob.press("CO2 monitor #2")
    question = await bob.next_message()
    assert (question.method, question.message_id) == ("editMessageText", picker.message_id)
    assert question.text == "Readings of CO2 monitor #2 for which period?"
    await bob.next_answer()
    bob.press("last month")
    await bob.next_answer()
    reply = await bob.next_message(timeout=30)
    assert reply.text == "CO2 monitor #2 has no readings for last month."
    assert tg.calls_to("sendDocument", bob.id) == []


async def test_more_rows_than_a_chunk_stream_out_whole(
    sessionmaker: Sessions, engine: AsyncEngine, database_url: str
) -> None:
    """More rows than one chunk: every reading arrives once, in order."""
    device = await pair_device(sessionmaker, name="Stream")
    end = datetime.now(UTC).replace(microsecond=0)
    written = await store(database_url, readings(device, end - timedelta(days=4), end))
    assert written > 2 * export.CHUNK_ROWS
    out = io.StringIO(newline="")
    async with sessionmaker() as session:
        count = await export.write_csv(session, device, Window(end - timedelta(days=5), end), "UTC", out)
    rows = list(csv.reader(io.StringIO(out.getvalue().removeprefix(BOM))))
    assert count == written == len(rows) - 1
    assert rows[1][0].endswith("+00:00")
    assert len({row[0] for row in rows[1:]}) == written
