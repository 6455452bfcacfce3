"""/alerts: the caller's alert history, newest first, paged, unread marked, "mark all read"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from core.models import Alert
from sandbox.botapi import BotApiDouble
from sandbox.seed import Sessions, now
from tests.kit.chat import owner_with_device
from tests.kit.sql import execute, fetch


async def _history(sessions: Sessions, user: int, device: int, values: list[float]) -> None:
    """Past alerts as fan-out writes them, one minute apart, the last value newest."""
    start = now() - timedelta(hours=2)
    rows = [
        {
            "device_id": device,
            "user_id": user,
            "type": "co2_high",
            "value": value,
            "threshold": 1000,
            "created_at": start + timedelta(minutes=i),
        }
        for i, value in enumerate(values)
    ]
    async with sessions() as session:
        await session.execute(insert(Alert), rows)
        await session.commit()


async def test_alerts_are_paged_newest_first_and_marked_read_for_the_caller_only(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    alice, alice_id, device = await owner_with_device(tg, engine, sessionmaker, "Alice")
    await execute(engine, "UPDATE devices SET name = 'Bedroom' WHERE id = :d", d=device)
    bob, bob_id, bobs_device = await owner_with_device(tg, engine, sessionmaker, "Bob")
    await execute(engine, "UPDATE devices SET name = 'Secret lab' WHERE id = :d", d=bobs_device)
    await _history(sessionmaker, alice_id, device, [1001.0 + i for i in range(23)])
    await _history(sessionmaker, bob_id, bobs_device, [3333.0, 3334.0])

    alice.send("/alerts")
    first = await alice.next_message()
    lines = (first.text or "").splitlines()
    assert lines[0] == "🔔 Alerts, page 1 of 3 · 23 unread"
    assert len(lines) == 11
    assert lines[1].startswith("🔵 ") and lines[1].endswith("· Bedroom: CO2 1023 ppm above 1000 ppm")
    assert lines[10].endswith("CO2 1014 ppm above 1000 ppm")
    assert first.button_texts == ["Older »", "✔️ Mark all read"]

    alice.press("Older »")
    second = await alice.next_message()
    await alice.next_answer()
    assert (second.method, second.message_id) == ("editMessageText", first.message_id)
    assert (second.text or "").splitlines()[1].endswith("CO2 1013 ppm above 1000 ppm")
    assert second.button_texts == ["« Newer", "Older »", "✔️ Mark all read"]

    # A tampered page number only ever shows Alice's own alerts: it is clamped to her last page.
    alice.press_raw("alp:99", first.message_id)
    last = await alice.next_message()
    await alice.next_answer()
    assert (last.text or "").splitlines()[0] == "🔔 Alerts, page 3 of 3 · 23 unread"
    assert len((last.text or "").splitlines()) == 4
    assert "Secret lab" not in (last.text or "") and "3333" not in (last.text or "")

    alice.press("✔️ Mark all read")
    marked = await alice.next_message()
    assert (await alice.next_answer()).text == "All alerts are marked read."
    assert (marked.text or "").splitlines()[0] == "🔔 Alerts, page 3 of 3 · 0 unread"
    assert all(line.startswith("⚪ ") for line in (marked.text or "").splitlines()[1:])
    assert "✔️ Mark all read" not in marked.button_texts
    assert await fetch(
        engine, "SELECT count(*) FROM alerts WHERE user_id = :u AND NOT is_read", u=bob_id
    ) == [(2,)]
    assert await fetch(
        engine, "SELECT count(*) FROM alerts WHERE user_id = :u AND NOT is_read", u=alice_id
    ) == [(0,)]

    bob.send("/alerts")
    assert (await bob.next_message()).text.splitlines()[0] == "🔔 Alerts, page 1 of 1 · 2 unread"  # type: ignore[union-attr]


async def test_alerts_without_any_says_so(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    carol, _, _ = await owner_with_device(tg, engine, sessionmaker, "Carol", "ru")
    carol.send("/alerts")
    empty = await carol.next_message()
    assert (empty.text or "").startswith("🔔 Уведомлений пока нет.")
    assert empty.button_texts == []
