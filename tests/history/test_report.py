"""The monthly report: its numbers from known readings, and the PDF a user receives from the device card."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.services import report
from sandbox.botapi import BotApiDouble
from sandbox.seed import now, pair_device, readings, store
from tests.kit.chat import open_card, pair
from tests.kit.sql import execute

Sessions = async_sessionmaker[AsyncSession]
MOSCOW = ZoneInfo("Europe/Moscow")
PAGE = re.compile(rb"/Type\s*/Page\b(?!s)")


def local(day: int, hour: int) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=MOSCOW)


def stuffy_mornings(ts: datetime) -> tuple[float | None, float | None, float | None]:
    """CO2 1200 from 08:00 to 14:00 Moscow time, 600 otherwise; 21 °C, 40 %."""
    return (1200.0 if 8 <= ts.astimezone(MOSCOW).hour < 14 else 600.0), 21.0, 40.0


async def test_month_numbers_follow_the_readings(
    sessionmaker: Sessions, engine: AsyncEngine, database_url: str
) -> None:
    device = await pair_device(sessionmaker, name="Office", created_at=datetime(2026, 9, 1, tzinfo=UTC))
    # 5 October: a whole day; 6 October: only until noon, then silence.
    await store(database_url, readings(device, local(5, 0), local(6, 12), metrics=stuffy_mornings))
    await execute(engine, "INSERT INTO users (telegram_id, first_name) VALUES (-9001, 'a'), (-9002, 'b')")
    await execute(
        engine,
        "INSERT INTO alerts (device_id, user_id, type, value, threshold, created_at)"
        " SELECT :d, id, 'co2_high', 1200, 1000, :at FROM users WHERE telegram_id IN (-9001, -9002)",
        d=device,
        at=local(5, 9),
    )
    async with sessionmaker() as session:
        month = await report.monthly(session, device, (2026, 10), "Europe/Moscow", local(20, 0))

    assert [d.day for d in month.days] == [date(2026, 10, n) for n in range(1, 20)]
    fifth, sixth, seventh = month.days[4], month.days[5], month.days[6]
    assert fifth.means["co2"] == pytest.approx((6 * 1200 + 18 * 600) / 24)
    assert fifth.maxima == {"co2": 1200.0, "temperature": 21.0, "humidity": 40.0}
    assert fifth.hours_above == pytest.approx(6.0)
    assert fifth.uptime == pytest.approx(1.0)
    assert sixth.uptime == pytest.approx(0.5, abs=0.001)
    assert sixth.hours_above == pytest.approx(4.0)
    assert (seventh.uptime, seventh.means, seventh.hours_above) == (0.0, {}, 0.0)
    # One notice that went to two members is one alert of the month.
    assert [(a.kind, a.value, a.threshold) for a in month.alerts] == [("co2_high", 1200.0, 1000.0)]
    assert month.co2_threshold == 1000


async def test_report_arrives_as_a_pdf_from_the_device_card(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine, database_url: str
) -> None:
    alice = tg.user("Alice")
    device = await pair(alice, sessionmaker, engine)
    moment = now()
    await store(database_url, readings(device, moment - timedelta(hours=3), moment))

    await open_card(alice, "CO2 monitor #1")
    alice.press("📄 Monthly report")
    months = await alice.next_message()
    await alice.next_answer()
    assert months.text == "Monthly report of CO2 monitor #1: which month?"
    this_month = moment.astimezone(MOSCOW)
    label = f"{this_month.month:02d}.{this_month.year}"
    assert months.button_texts[0] == label
    assert len(months.button_texts) == 6 + 1  # six months and "back"

    alice.press(label)
    await alice.next_answer()
    document = await alice.next_message(timeout=60)
    assert document.method == "sendDocument"
    assert document.text == f"📄 CO2 monitor #1 · report for {label}"
    assert str(document.raw["document"]["file_name"]).endswith(".pdf")
    assert document.content is not None
    assert document.content.startswith(b"%PDF")
    assert len(PAGE.findall(document.content)) >= 2  # the summary and the other metrics
