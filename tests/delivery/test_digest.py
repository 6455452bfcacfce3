"""Night mode holds notices; the morning digest reports them; /digest turns it off and moves its hour."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs.digest import DIGEST_LOCK, queue_digests, scheduled_jobs
from core import telemetry_store
from core.db import make_engine, make_sessionmaker
from core.services import notices, presence
from core.telemetry_store import Row
from sandbox.botapi import BotApiDouble
from sandbox.database import cloned_database, drop_database
from sandbox.seed import Sessions, make_user, now, pair_device, store
from tests.delivery.helpers import all_settled, co2_high, delivered, fan_out
from tests.kit.chat import owner_with_device, started_user
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
    # A night that began before local midnight names its day: "30.11 22:14", not a bare "22:14".
    held_at, today = night.astimezone(MOSCOW), now().astimezone(MOSCOW)
    when = f"{held_at:%H:%M}" if held_at.date() == today.date() else f"{held_at:%d.%m %H:%M}"
    held_line = f"held at night: CO2 1500 ppm above 1000 ppm at {when}"
    assert held_line in lines
    assert (await calm.next_message()).text == (
        "☀️ Good morning! All good overnight: every reading stayed within its limits and every device stayed"
        " online."
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


async def test_the_bots_digest_job_queues_the_digests_due_as_soon_as_it_starts(schema_template: str):
    """A bot started at 08:02 still sends the 08:00 digests. In a database of its own: the job queues every
    due user's digest, and this package's bot would send them into other tests' chats (so it runs no job)."""
    name, url = await cloned_database(schema_template)
    engine = make_engine(url)
    try:
        sessions = make_sessionmaker(engine)
        # A digest is due in its user's hour: a zone where that hour is at least 30 minutes from its end
        # (India is half an hour off Moscow's minutes), so it does not turn while the job runs.
        zone = MOSCOW if now().minute < 30 else ZoneInfo("Asia/Kolkata")
        due = await make_user(sessions, timezone=zone.key)
        later = await make_user(sessions, timezone=zone.key)
        for user in (due, later):
            await pair_device(sessions, owner_id=user)
        this_hour = now().astimezone(zone).hour
        for user, hour in ((due, this_hour), (later, (this_hour + 1) % 24)):
            await execute(engine, "UPDATE users SET digest_hour = :h WHERE id = :u", h=hour, u=user)
        digests = "SELECT user_id FROM notification_outbox WHERE kind = 'digest'"
        async with scheduled_jobs(sessions):
            assert await eventually(lambda: fetch(engine, digests)) == [(due,)]
    finally:
        await engine.dispose()
        await drop_database(name)


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


async def test_the_digest_sums_up_a_meter_and_a_computer_by_their_types_lines(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions, database_url: str
) -> None:
    """A meter's day (the 24 hours since the previous digest, not only the night): what it consumed (its
    register reset at 2 h before the digest counts from zero) and its peak power. A computer's: peak CPU,
    peak disk use and the time it was offline (SPEC 5, 3a)."""
    owner, owner_id = await started_user(tg, engine, "Mira")
    meter = await pair_device(sessionmaker, owner_id=owner_id, device_type="meter", name="Flat 12")
    robot = await pair_device(sessionmaker, owner_id=owner_id, device_type="host", name="robot-7")
    this_hour = now().astimezone(MOSCOW).hour
    await execute(engine, "UPDATE users SET digest_hour = :h WHERE id = :u", h=this_hour, u=owner_id)
    at = now().astimezone(MOSCOW).replace(minute=0, second=0, microsecond=0)  # the digest's hour

    def meter_row(hours: float, register: float, power: float) -> Row:
        return telemetry_store.row(
            meter, at - timedelta(hours=hours), {"energy_kwh": register, "power_w": power}
        )

    def robot_row(hours: float, cpu: float, disk: float) -> Row:
        return telemetry_store.row(
            robot, at - timedelta(hours=hours), {"cpu_percent": cpu, "disk_percent": disk}
        )

    await store(
        database_url,
        [
            meter_row(25, 90.0, 9000.0),  # before the day: only where the day's first step starts from
            meter_row(13, 95.0, 3000.0),  # in the day, before the night
            meter_row(3, 100.0, 800.0),
            meter_row(2.5, 101.5, 2400.0),
            meter_row(2, 0.5, 1200.0),  # a new register: 0.5 kWh since it started, not -101
            meter_row(1, 2.0, 600.0),
            robot_row(3, 35.0, 71.0),
            robot_row(2, 97.5, 72.5),
            robot_row(1, 40.0, 72.0),
        ],
    )
    async with sessionmaker() as session:
        await presence.mark_offline(session, robot, at - timedelta(hours=2), presence.SILENCE)
        await presence.mark_online(session, robot, at - timedelta(hours=2) + timedelta(minutes=20))
        await session.commit()
    mark = len(tg.calls)

    await _queue(sessionmaker)

    async def digest_arrived() -> bool:
        return any(text.startswith("☀️") for text in delivered(tg, owner.id, mark))

    await eventually(digest_arrived)
    (text,) = [text for text in delivered(tg, owner.id, mark) if text.startswith("☀️")]
    lines = text.splitlines()
    # 5 + 5 kWh from the reading before the day, 1.5, then 0.5 on the new register, 1.5.
    assert lines[lines.index("📟 Flat 12") + 1] == "📊 last 24 h: energy used 13.5 kWh · power peak 3,000 W"
    assert (
        lines[lines.index("📟 robot-7") + 1]
        == "📊 last 24 h: CPU peak 97.5 % · disk peak 72.5 % · offline 20 min in all"
    )


async def test_a_meter_and_a_computer_owner_gets_all_good_after_a_quiet_night_with_each_day_in_figures(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions, database_url: str
) -> None:
    owner, owner_id = await started_user(tg, engine, "Nina")
    meter = await pair_device(sessionmaker, owner_id=owner_id, device_type="meter", name="Flat 7")
    robot = await pair_device(sessionmaker, owner_id=owner_id, device_type="host", name="robot-9")
    this_hour = now().astimezone(MOSCOW).hour
    await execute(engine, "UPDATE users SET digest_hour = :h WHERE id = :u", h=this_hour, u=owner_id)
    at = now().astimezone(MOSCOW).replace(minute=0, second=0, microsecond=0)
    readings = [
        (meter, 20, {"energy_kwh": 50.0, "power_w": 1500.0}),  # the afternoon before: outside the night
        (meter, 1, {"energy_kwh": 54.0, "power_w": 300.0}),
        (robot, 18, {"cpu_percent": 50.0, "disk_percent": 40.0}),
        (robot, 1, {"cpu_percent": 12.0, "disk_percent": 39.5}),
    ]
    await store(
        database_url,
        [
            telemetry_store.row(device, at - timedelta(hours=hours), values)
            for device, hours, values in readings
        ],
    )
    mark = len(tg.calls)

    await _queue(sessionmaker)

    async def digest() -> str | None:
        return next((text for text in delivered(tg, owner.id, mark) if text.startswith("☀️")), None)

    assert (await eventually(digest)).splitlines() == [
        "☀️ Good morning! All good overnight: every reading stayed within its limits and every device stayed"
        " online.",
        "📊 Flat 7, last 24 h: energy used 4 kWh · power peak 1,500 W",
        "📊 robot-9, last 24 h: CPU peak 50 % · disk peak 40 % · online all day",
    ]
