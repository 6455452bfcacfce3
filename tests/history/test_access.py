"""Charts, exports and reports only for members: forged buttons get a refusal and nothing else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sandbox.botapi import BotApiDouble
from sandbox.seed import now, readings, store
from tests.kit.chat import accept, invite, pair
from tests.kit.sql import execute, user_id

Sessions = async_sessionmaker[AsyncSession]
REFUSAL = "⛔ You have no rights for this on that device."
FILES = ("sendPhoto", "sendDocument", "editMessageMedia")


async def test_a_stranger_cannot_chart_export_or_report_someone_elses_device(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine, database_url: str
) -> None:
    alice, mallory = tg.user("Alice"), tg.user("Mallory")
    device = await pair(alice, sessionmaker, engine)
    moment = now()
    await store(database_url, readings(device, moment - timedelta(hours=1), moment))
    mallory.send("/start")
    await mallory.next_message()

    forged = (
        f"hist:{device}:7d:all",
        f"hist:{device}:24h:co2",
        f"expd:{device}",
        f"expp:{device}:30d",
        f"rep:{device}",
        f"repm:{device}:{moment.year}:{moment.month}",
    )
    for data in forged:
        mallory.press_raw(data)
        answer = await mallory.next_answer(timeout=30)
        assert (answer.text, answer.show_alert) == (REFUSAL, True), data

    # A stale current device (say, from before a removal) is checked too.
    await execute(
        engine, "UPDATE users SET current_device_id = :d WHERE telegram_id = :id", d=device, id=mallory.id
    )
    mallory.send("/history")
    assert (await mallory.next_message(timeout=30)).text == REFUSAL
    for method in FILES:
        assert tg.calls_to(method, mallory.id) == [], method
    assert mallory.drain() == []


async def test_a_viewer_may_chart_and_report(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, victor = tg.user("Alice"), tg.user("Victor")
    device = await pair(alice, sessionmaker, engine)
    assert "viewer" in await accept(victor, await invite(alice, "CO2 monitor #1", "👁 Viewer"))
    await alice.next_message()  # told that Victor accepted
    moment = now()

    victor.press_raw(f"hist:{device}:6h:all")
    chart = await victor.next_message(timeout=30)
    assert chart.method == "sendPhoto" and chart.content is not None
    await victor.next_answer()
    victor.press_raw(f"repm:{device}:{moment.year}:{moment.month}")
    await victor.next_answer()
    document = await victor.next_message(timeout=60)
    assert document.method == "sendDocument"
    assert (document.content or b"").startswith(b"%PDF")


async def test_a_revoked_member_gets_no_chart_from_the_last_minutes_pictures(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, victor = tg.user("Alice"), tg.user("Victor")
    device = await pair(alice, sessionmaker, engine)
    assert "viewer" in await accept(victor, await invite(alice, "CO2 monitor #1", "👁 Viewer"))
    await alice.next_message()  # told that Victor accepted
    victor.press_raw(f"hist:{device}:24h:all")
    assert (await victor.next_message(timeout=30)).method == "sendPhoto"
    await victor.next_answer()
    charts = len(tg.calls_to("sendPhoto", victor.id))

    # Alice revokes him; the same chart again, while the drawn picture is still kept for reuse.
    victor_id = await user_id(engine, victor)
    alice.press_raw(f"mbr:revoke:{device}:{victor_id}")
    await alice.next_answer()
    assert "was revoked" in ((await victor.next_message()).text or "")
    victor.press_raw(f"hist:{device}:24h:all")
    answer = await victor.next_answer(timeout=30)
    assert (answer.text, answer.show_alert) == (REFUSAL, True)
    # Revoking cleared his current device; one set by a race (a stale choice) is checked as well.
    await execute(
        engine, "UPDATE users SET current_device_id = :d WHERE telegram_id = :id", d=device, id=victor.id
    )
    victor.send("/history")
    assert (await victor.next_message(timeout=30)).text == REFUSAL
    assert len(tg.calls_to("sendPhoto", victor.id)) == charts
