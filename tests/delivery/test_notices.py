"""Alert notices from the outbox reach Telegram: once per subscribed user, in their language, with buttons."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery.service import APPLICATION_NAME
from core.services import notices
from sandbox.botapi import BotApiDouble
from sandbox.seed import Sessions, add_reading, now, share
from tests.delivery.helpers import all_settled, co2_high, co2_normal, delivered, fan_out
from tests.kit.chat import owner_with_device, started_user
from tests.kit.sql import execute, fetch
from tests.kit.wait import eventually


async def test_a_crossing_and_its_recovery_reach_each_subscriber_once_in_their_language(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    owner, owner_id, device = await owner_with_device(tg, engine, sessionmaker)
    await execute(engine, "UPDATE devices SET name = 'Kitchen' WHERE id = :d", d=device)
    viewer, viewer_id = await started_user(tg, engine, "Vera", "ru")
    quiet, quiet_id = await started_user(tg, engine, "Quentin")
    await share(sessionmaker, viewer_id, device)
    await share(sessionmaker, quiet_id, device, notifications=False)
    since = now() - timedelta(seconds=70)
    mark = len(tg.calls)

    await fan_out(sessionmaker, co2_high(device, 1500, since))
    fired = await owner.next_message()
    local = since.astimezone(ZoneInfo("Europe/Moscow")).strftime("%H:%M")
    assert fired.text == f"⚠️ Kitchen: CO2 is 1500 ppm, above the threshold of 1000 ppm since {local}."
    assert fired.button_texts == ["📈 History", "🔕 Mute 1 h"]
    assert (await viewer.next_message()).text == f"⚠️ Kitchen: CO2 1500 ppm, выше порога 1000 ppm с {local}."

    await fan_out(sessionmaker, co2_normal(device, 850, lasted=725, peak=1630))
    recovered = await owner.next_message()
    assert recovered.text == "✅ Kitchen: CO2 is back to normal, 850 ppm. It lasted 12 min (worst 1630 ppm)."
    assert recovered.button_texts == ["📈 History"]
    assert "Длилось 12 мин" in ((await viewer.next_message()).text or "")

    await eventually(lambda: all_settled(engine, owner_id, viewer_id, quiet_id))
    assert len(delivered(tg, owner.id, mark)) == 2 and len(delivered(tg, viewer.id, mark)) == 2
    assert delivered(tg, quiet.id, mark) == []


async def test_critical_offline_and_online_notices_say_what_happened(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    owner, _, device = await owner_with_device(tg, engine, sessionmaker)
    await execute(engine, "UPDATE devices SET name = 'Office' WHERE id = :d", d=device)
    critical = notices.Notice(
        device,
        "co2_critical",
        value=2400,
        threshold=1000,
        critical=True,
        details={"metric": "co2", "direction": "above", "since": now().isoformat(), "peak": 2400},
    )
    await fan_out(sessionmaker, critical)
    assert (await owner.next_message()).text.startswith("🚨 CRITICAL — Office: CO2 is 2400 ppm")  # type: ignore[union-attr]

    seen = now() - timedelta(minutes=3)
    offline = notices.Notice(
        device, "device_offline", details={"reason": "last_will", "last_seen": seen.isoformat()}
    )
    await fan_out(sessionmaker, offline)
    went = await owner.next_message()
    assert (went.text or "").startswith("📴 Office went offline at ")
    assert "(its connection dropped)" in (went.text or "")
    assert went.button_texts == ["📈 History", "🔕 Mute 1 h"]

    online = notices.Notice(
        device, "device_online", details={"offline_since": seen.isoformat(), "duration_seconds": 3900}
    )
    await fan_out(sessionmaker, online)
    assert (await owner.next_message()).text == "📶 Office is back online after 1 h 5 min offline."


async def test_a_user_who_blocked_the_bot_does_not_stop_delivery_to_others(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    owner, owner_id, device = await owner_with_device(tg, engine, sessionmaker)
    blocker, blocker_id = await started_user(tg, engine, "Boris")
    await share(sessionmaker, blocker_id, device)
    tg.block(blocker.id)
    mark = len(tg.calls)

    await fan_out(sessionmaker, co2_high(device, 1400))
    assert "1400 ppm" in ((await owner.next_message()).text or "")
    await eventually(lambda: all_settled(engine, owner_id, blocker_id))
    assert await fetch(engine, "SELECT is_active FROM users WHERE id = :u", u=blocker_id) == [(False,)]

    await fan_out(sessionmaker, co2_high(device, 1450))
    assert "1450 ppm" in ((await owner.next_message()).text or "")
    await eventually(lambda: all_settled(engine, owner_id))
    # Telegram was asked once for the blocker: the second notice was not even queued for them.
    assert len(tg.calls_to("sendMessage", blocker.id)) == 2  # /start's reply, then the refused notice
    assert delivered(tg, blocker.id, mark) == []


async def test_a_throttled_chat_gets_its_notice_after_retry_after_and_only_once(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    owner, owner_id, device = await owner_with_device(tg, engine, sessionmaker)
    tg.throttle(owner.id, retry_after=2, times=1)
    mark = len(tg.calls)
    await fan_out(sessionmaker, co2_high(device, 1300))
    assert "1300 ppm" in ((await owner.next_message(timeout=15)).text or "")
    refused, accepted = tg.calls_to("sendMessage", owner.id)[-2:]
    assert (refused.error, accepted.error) == (429, None)
    assert accepted.at - refused.at >= 2.0
    await eventually(lambda: all_settled(engine, owner_id))
    assert len(delivered(tg, owner.id, mark)) == 1


async def test_mute_silences_that_device_for_that_user_only(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    owner, owner_id, device = await owner_with_device(tg, engine, sessionmaker)
    viewer, viewer_id = await started_user(tg, engine, "Vlad")
    await share(sessionmaker, viewer_id, device)
    await fan_out(sessionmaker, co2_high(device, 1200))
    await owner.next_message()
    await viewer.next_message()

    owner.press("🔕 Mute 1 h")
    answer = await owner.next_answer()
    assert answer.show_alert and (answer.text or "").startswith("🔕 ")
    assert "is muted for you until" in (answer.text or "")

    await fan_out(sessionmaker, co2_high(device, 1250))
    assert "1250 ppm" in ((await viewer.next_message()).text or "")
    await eventually(lambda: all_settled(engine, owner_id, viewer_id))
    assert not any("1250" in text for text in delivered(tg, owner.id))


async def test_mute_and_history_of_someone_elses_device_are_refused(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    _, _, device = await owner_with_device(tg, engine, sessionmaker)
    stranger, _ = await started_user(tg, engine, "Sam")
    for data in (f"mute:{device}", f"hist:{device}:6h:co2"):
        stranger.press_raw(data)
        assert (await stranger.next_answer()).text == "⛔ You have no rights for this on that device."
    assert await fetch(
        engine, "SELECT count(*) FROM user_devices WHERE muted_until IS NOT NULL AND device_id = :d", d=device
    ) == [(0,)]
    assert stranger.drain() == []


async def test_the_history_button_opens_the_chart_of_the_alerts_metric(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    owner, _, device = await owner_with_device(tg, engine, sessionmaker)
    await execute(engine, "UPDATE devices SET name = 'Hall' WHERE id = :d", d=device)
    start = now() - timedelta(minutes=5)
    for minute, ppm in enumerate((900, 1100, 1300)):
        await add_reading(engine, device, start + timedelta(minutes=minute), co2=ppm, temperature=22.5)
    await fan_out(sessionmaker, co2_high(device, 1300))
    notice = await owner.next_message()
    assert notice.button("📈 History")["callback_data"] == f"hist:{device}:6h:co2"
    owner.press("📈 History")
    chart = await owner.next_message(timeout=60)
    assert chart.method == "sendPhoto"
    assert (chart.content or b"").startswith(b"\x89PNG")
    assert "Hall" in (chart.text or "")
    await owner.next_answer()


async def _listeners(engine: AsyncEngine) -> list[int]:
    query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = :name"
    rows = await fetch(engine, query, name=APPLICATION_NAME)
    return [int(pid) for (pid,) in rows]


async def test_the_bot_listens_again_after_losing_its_listen_connection(
    tg: BotApiDouble, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    owner, _, device = await owner_with_device(tg, engine, sessionmaker)
    (before,) = await eventually(lambda: _listeners(engine))
    await execute(engine, "SELECT pg_terminate_backend(:pid)", pid=before)

    async def listening_anew() -> list[int]:
        return [pid for pid in await _listeners(engine) if pid != before]

    assert await eventually(listening_anew, within=30)
    await fan_out(sessionmaker, co2_high(device, 1350))
    assert "1350 ppm" in ((await owner.next_message()).text or "")
