"""Threshold alerts from readings to alert rows and outbox rows: who hears, how often, and at night."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg

from core import notify
from core.services.alerting import DeviceReading, evaluate_batch
from sandbox.seed import Sessions, make_user, pair_device, share
from tests.alerting.helpers import alerts_of, feed, outbox_of, waiting_for_a_row_lock
from tests.kit.sql import execute
from tests.kit.wait import eventually

DAY = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
NIGHT = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # 23:00 in Moscow

# Above T=1000 from +10 s; held 60 s at +70 s → fires; 950 lies in the hysteresis band; 850 recovers.
EPISODE = [(0, 900), (10, 1200), (40, 1300), (70, 1250), (100, 1400), (130, 950), (160, 850)]


async def test_crossing_the_threshold_notifies_each_subscriber_once_and_recovers_once(
    sessionmaker: Sessions, database_url: str
) -> None:
    owner = await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner)
    viewer, silent, muted, blocked = [await make_user(sessionmaker) for _ in range(4)]
    await share(sessionmaker, viewer, device)
    await share(sessionmaker, silent, device, notifications=False)
    await share(sessionmaker, muted, device, muted_until=DAY + timedelta(hours=1))
    await share(sessionmaker, blocked, device)
    await execute(sessionmaker, "UPDATE users SET is_active = false WHERE id = :id", id=blocked)

    signals: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(database_url)
    await listener.add_listener(notify.OUTBOX, lambda *args: signals.put_nowait(args[3]))
    try:
        await feed(sessionmaker, device, DAY, EPISODE)
        assert await asyncio.wait_for(signals.get(), 5)
    finally:
        await listener.close()

    for user in (owner, viewer):
        alerts = await alerts_of(sessionmaker, user, device)
        assert [(a.type, a.value, a.threshold, a.held) for a in alerts] == [
            ("co2_high", 1250, 1000, False),
            ("co2_normal", 850, 1000, False),
        ]
        fired, recovered = await outbox_of(sessionmaker, user)
        assert fired.alert_id == alerts[0].id and fired.payload["alert_id"] == alerts[0].id
        assert fired.status == "pending"
        assert fired.payload["device_name"].startswith("CO2 monitor")
        assert fired.payload["device_id"] == device
        assert fired.payload["metric"] == "co2"
        assert (fired.payload["value"], fired.payload["threshold"]) == (1250, 1000)
        assert fired.payload["since"] == (DAY + timedelta(seconds=10)).isoformat()
        assert fired.payload["critical"] is False
        assert recovered.payload["alert_type"] == "co2_normal"
        assert recovered.payload["duration_seconds"] == 90  # fired at +70 s, recovered at +160 s
        assert recovered.payload["peak"] == 1400
    for user in (silent, muted, blocked):
        assert await alerts_of(sessionmaker, user, device) == []
        assert await outbox_of(sessionmaker, user) == []


async def test_flapping_around_the_threshold_and_single_spikes_notify_nobody(sessionmaker: Sessions) -> None:
    owner = await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner)
    await feed(sessionmaker, device, DAY, [(s, 1100 if s % 60 == 0 else 990) for s in range(0, 600, 30)])
    assert await alerts_of(sessionmaker, owner, device) == []


async def test_night_mode_holds_the_notice_but_a_critical_level_goes_out_at_once(
    sessionmaker: Sessions,
) -> None:
    sleeper = await make_user(sessionmaker, timezone="Europe/Moscow")
    device = await pair_device(sessionmaker, owner_id=sleeper, night_mode_start=22, night_mode_end=7)
    awake = await make_user(sessionmaker, timezone="America/New_York")  # 15:00 there
    await share(sessionmaker, awake, device)

    await feed(sessionmaker, device, NIGHT, [(0, 1200), (61, 1300)])
    held = await alerts_of(sessionmaker, sleeper, device)
    assert [(a.type, a.held) for a in held] == [("co2_high", True)]
    assert await outbox_of(sessionmaker, sleeper) == []
    assert [m.payload["alert_type"] for m in await outbox_of(sessionmaker, awake)] == ["co2_high"]

    await feed(sessionmaker, device, NIGHT, [(90, 2500)])
    alerts = await alerts_of(sessionmaker, sleeper, device)
    assert [(a.type, a.held) for a in alerts] == [("co2_high", True), ("co2_critical", False)]
    (critical,) = await outbox_of(sessionmaker, sleeper)
    assert critical.payload["critical"] is True
    assert critical.payload["value"] == 2500


async def test_a_restart_neither_refires_nor_forgets(sessionmaker: Sessions) -> None:
    """Each reading is evaluated in a new session from the persisted state, as after a processor restart."""
    owner = await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner)
    # The hold time started before the "restart" still counts after it.
    await feed(sessionmaker, device, DAY, [(0, 1200)])
    await feed(sessionmaker, device, DAY, [(61, 1200)])
    assert [a.type for a in await alerts_of(sessionmaker, owner, device)] == ["co2_high"]
    # Still firing after the next restart: no second notice…
    await feed(sessionmaker, device, DAY, [(120, 1500), (180, 1300)])
    assert [a.type for a in await alerts_of(sessionmaker, owner, device)] == ["co2_high"]
    # …and the recovery is not forgotten.
    await feed(sessionmaker, device, DAY, [(240, 800)])
    assert [a.type for a in await alerts_of(sessionmaker, owner, device)] == ["co2_high", "co2_normal"]
    assert len(await outbox_of(sessionmaker, owner)) == 2


async def test_backlog_readings_are_stored_news_and_fire_nothing(sessionmaker: Sessions) -> None:
    owner = await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner)
    old = DAY - timedelta(minutes=30)
    backlog = [DeviceReading(device, old + timedelta(seconds=30 * i), {"co2": 3000}) for i in range(20)]
    async with sessionmaker() as session:
        outcome = await evaluate_batch(session, backlog, DAY)
        await session.commit()
    assert outcome.transitions == 0
    assert await alerts_of(sessionmaker, owner, device) == []


async def test_one_batch_of_many_devices_fires_only_where_the_air_is_bad(sessionmaker: Sessions) -> None:
    owner = await make_user(sessionmaker)
    stuffy, fresh, disabled = [await pair_device(sessionmaker, owner_id=owner) for _ in range(3)]
    await execute(
        sessionmaker, "UPDATE device_configs SET alerts_enabled = false WHERE device_id = :id", id=disabled
    )
    readings = [
        DeviceReading(
            device, DAY + timedelta(seconds=s), {"co2": value, "temperature": 22.0, "humidity": 40.0}
        )
        for s in (60, 0, 30)  # arrives out of order: evaluated in time order
        for device, value in ((stuffy, 1500), (fresh, 600), (disabled, 1500))
    ]
    async with sessionmaker() as session:
        outcome = await evaluate_batch(session, readings, DAY + timedelta(seconds=60))
        await session.commit()
    assert outcome.transitions == 1
    assert [a.type for a in await alerts_of(sessionmaker, owner, stuffy)] == ["co2_high"]
    assert await alerts_of(sessionmaker, owner, fresh) == []
    assert await alerts_of(sessionmaker, owner, disabled) == []


async def test_two_evaluators_racing_on_one_device_announce_the_episode_once(sessionmaker: Sessions) -> None:
    """Two processors sharing a subscription may both get a reading of the same device at the same time."""
    owner = await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner)
    await feed(sessionmaker, device, DAY, [(0, 1200)])  # pending: the hold time is running
    at = DAY + timedelta(seconds=61)
    async with sessionmaker() as first, sessionmaker() as second:
        # Both load the same stored state before either writes.
        one = await evaluate_batch(first, [DeviceReading(device, at, {"co2": 1300})], at)
        racing = asyncio.create_task(evaluate_batch(second, [DeviceReading(device, at, {"co2": 1300})], at))
        await eventually(lambda: waiting_for_a_row_lock(sessionmaker))  # the second one has read the state
        await first.commit()
        other = await asyncio.wait_for(racing, 10)
        await second.commit()
    assert (one.transitions, other.transitions) == (1, 0)
    assert [a.type for a in await alerts_of(sessionmaker, owner, device)] == ["co2_high"]
