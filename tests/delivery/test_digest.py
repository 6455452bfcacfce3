"""Night mode holds notices; the morning digest reports them; /digest turns it off and moves its hour."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs.digest import DIGEST_LOCK, queue_digests
from core.services import notices
from sandbox.botapi import BotApiDouble
from sandbox.seed import Sessions, now
from tests.delivery.helpers import all_settled, co2_high, delivered, fan_out
from tests.kit.chat import owner_with_device
from tests.kit.sql import execute, fetch
from tests.kit.wait import eventually

MOSCOW = ZoneInfo("Europe/Moscow")


async def _queue(sessions: Sessions) -> None:
    """Run the scheduler's job body now; the bot's own scheduler (another replica) may hold the lock."""

    async def ran() -> bool:
        return await queue_digests(sessions, now()) is not None

    await eventually(ran)


async def test_night_mode_holds_a_notice_and_the_morning_digest_reports_it(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    owner, owner_id, device = await owner_with_device(tg, engine, sessionmaker)
    await execute(engine, "UPDATE devices SET name = 'Nursery' WHERE id = :d", d=device)
    calm, calm_id, _ = await owner_with_device(tg, engine, sessionmaker, "Carl")
    opted_out, opted_out_id, _ = await owner_with_device(tg, engine, sessionmaker, "Oleg")
    night = now() - timedelta(hours=2)
    hour = night.astimezone(MOSCOW).hour
    await execute(
        engine,
        "UPDATE device_configs SET night_mode_start = :s, night_mode_end = :e WHERE device_id = :d",
        s=hour,
        e=(hour + 1) % 24,
        d=device,
    )
    mark = len(tg.calls)

    held = await fan_out(sessionmaker, co2_high(device, 1500, night), at=night)
    assert (held.alerts, held.queued, held.held) == (1, 0, 1)
    critical = notices.Notice(
        device, "co2_critical", value=2600, threshold=1000, critical=True, details={"metric": "co2"}
    )
    assert (await fan_out(sessionmaker, critical, at=night)).queued == 1
    assert (await owner.next_message()).text.startswith("🚨 CRITICAL — Nursery: CO2 is 2600 ppm")  # type: ignore[union-attr]
    await eventually(lambda: all_settled(engine, owner_id))
    assert len(delivered(tg, owner.id, mark)) == 1  # the held notice stayed quiet

    this_hour = now().astimezone(MOSCOW).hour
    for user in (owner_id, calm_id):
        await execute(engine, "UPDATE users SET digest_hour = :h WHERE id = :u", h=this_hour, u=user)
    await execute(
        engine,
        "UPDATE users SET digest_hour = :h, digest_enabled = false WHERE id = :u",
        h=this_hour,
        u=opted_out_id,
    )
    await _queue(sessionmaker)

    digest = await owner.next_message()
    lines = (digest.text or "").splitlines()
    assert lines[0] == f"☀️ Good morning! Your night, {now().astimezone(MOSCOW):%d.%m.%Y}:"
    assert "📟 Nursery" in lines
    held_line = f"held at night: CO2 1500 ppm above 1000 ppm at {night.astimezone(MOSCOW):%H:%M}"
    assert held_line in lines
    assert (await calm.next_message()).text == (
        "☀️ Good morning! All good overnight: the air stayed fine and every device stayed online."
    )

    await _queue(sessionmaker)  # the job runs again within the hour: nothing new
    await eventually(lambda: all_settled(engine, owner_id, calm_id, opted_out_id))
    assert [t for t in delivered(tg, owner.id, mark) if t.startswith("☀️")] == [digest.text]
    assert opted_out.drain() == []
    digests = "SELECT count(*) FROM notification_outbox WHERE user_id = :u AND kind = 'digest'"
    assert await fetch(engine, digests, u=opted_out_id) == [(0,)]


async def test_the_digest_job_runs_in_one_replica_at_a_time(sessionmaker: Sessions) -> None:
    async with sessionmaker() as other_replica:
        await other_replica.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": DIGEST_LOCK})
        assert await queue_digests(sessionmaker, now()) is None
        await other_replica.commit()
    assert await queue_digests(sessionmaker, now()) is not None


async def test_digest_command_turns_it_off_and_moves_its_hour(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    owner, owner_id, _ = await owner_with_device(tg, engine, sessionmaker, "Dina")
    owner.send("/digest")
    menu = await owner.next_message()
    assert menu.text == "🌅 Morning digest: on, at 08:00 your time (Europe/Moscow)."
    owner.press("Turn off")
    assert (await owner.next_message()).text == "🌅 Morning digest: off, at 08:00 your time (Europe/Moscow)."
    await owner.next_answer()
    owner.press("1 h later ▶")
    assert (await owner.next_message()).text == "🌅 Morning digest: off, at 09:00 your time (Europe/Moscow)."
    await owner.next_answer()
    owner.press_raw("dgs:1:77")  # a forged hour
    assert (await owner.next_answer()).show_alert
    query = "SELECT digest_enabled, digest_hour FROM users WHERE id = :u"
    assert await fetch(engine, query, u=owner_id) == [(False, 9)]
