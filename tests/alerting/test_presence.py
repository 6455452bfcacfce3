"""Offline by Last Will and by silence, back online on the next message, and flap damping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.services import presence
from core.services.alerting import DeviceReading, evaluate_batch
from sandbox.seed import Sessions, make_user, pair_device, share
from tests.alerting.helpers import alerts_of, outbox_of
from tests.kit.sql import execute

T0 = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)


async def _seen(sessions: Sessions, device: int, at: datetime, online: bool = True) -> None:
    """What ingest records for a message: last_seen and the online flag (a Last Will sets it false)."""
    await execute(
        sessions,
        "UPDATE devices SET last_seen = :at, is_online = :online WHERE id = :id",
        at=at,
        online=online,
        id=device,
    )


async def _sweep(sessions: Sessions, now: datetime) -> tuple[list[int], list[int]]:
    async with sessions() as session:
        gone = await presence.sweep_silent_devices(session, now)
        back = await presence.sweep_back_online(session, now)
        await session.commit()
    return gone, back


async def _types(sessions: Sessions, user: int, device: int) -> list[str]:
    return [a.type for a in await alerts_of(sessions, user, device)]


async def test_last_will_makes_the_device_offline_once_and_its_return_online(sessionmaker: Sessions) -> None:
    owner, viewer = await make_user(sessionmaker), await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner)
    await share(sessionmaker, viewer, device)
    await _seen(sessionmaker, device, T0)
    await _seen(sessionmaker, device, T0 + timedelta(seconds=5), online=False)  # the Last Will arrived

    gone, _ = await _sweep(sessionmaker, T0 + timedelta(seconds=10))
    assert device in gone
    gone, _ = await _sweep(sessionmaker, T0 + timedelta(seconds=20))
    assert device not in gone
    for user in (owner, viewer):
        (notice,) = await outbox_of(sessionmaker, user)
        assert notice.payload["alert_type"] == "device_offline"
        assert notice.payload["reason"] == "last_will"

    await _seen(sessionmaker, device, T0 + timedelta(minutes=5))  # it reconnected: status "online"
    _, back = await _sweep(sessionmaker, T0 + timedelta(minutes=5, seconds=3))
    assert back == [device] or device in back
    assert await _types(sessionmaker, owner, device) == ["device_offline", "device_online"]
    online = (await outbox_of(sessionmaker, owner))[-1]
    assert online.payload["duration_seconds"] == 5 * 60 - 10 + 3


async def test_mark_offline_for_a_last_will_is_idempotent(sessionmaker: Sessions) -> None:
    owner = await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner)
    await _seen(sessionmaker, device, T0)
    async with sessionmaker() as session:
        assert await presence.mark_offline(session, device, T0, presence.LAST_WILL)
        assert not await presence.mark_offline(session, device, T0 + timedelta(seconds=1), presence.LAST_WILL)
        await session.commit()
    assert await _types(sessionmaker, owner, device) == ["device_offline"]
    async with sessionmaker() as session:
        assert await presence.mark_online(session, device, T0 + timedelta(minutes=1))
        assert not await presence.mark_online(session, device, T0 + timedelta(minutes=2))
        await session.commit()
    assert await _types(sessionmaker, owner, device) == ["device_offline", "device_online"]


async def test_silence_of_three_report_intervals_but_at_least_90_s_means_offline(
    sessionmaker: Sessions,
) -> None:
    owner = await make_user(sessionmaker)
    every_30 = await pair_device(sessionmaker, owner_id=owner, report_interval=30)  # offline after 90 s
    every_60 = await pair_device(sessionmaker, owner_id=owner, report_interval=60)  # offline after 180 s
    every_10 = await pair_device(sessionmaker, owner_id=owner, report_interval=10)  # 30 s, but at least 90 s
    for device in (every_30, every_60, every_10):
        await _seen(sessionmaker, device, T0)

    gone, _ = await _sweep(sessionmaker, T0 + timedelta(seconds=89))
    assert not {every_30, every_60, every_10} & set(gone)
    gone, _ = await _sweep(sessionmaker, T0 + timedelta(seconds=100))
    assert {every_30, every_10} <= set(gone) and every_60 not in gone
    gone, _ = await _sweep(sessionmaker, T0 + timedelta(seconds=180))
    assert every_60 in gone
    (notice, *_) = await outbox_of(sessionmaker, owner)
    assert notice.payload["reason"] == "silence"
    assert notice.payload["last_seen"] == T0.isoformat()

    # The next telemetry brings it back at once, through the alert feed.
    async with sessionmaker() as session:
        at = T0 + timedelta(seconds=200)
        await evaluate_batch(session, [DeviceReading(every_30, at, {"co2": 600})], at)
        await session.commit()
    assert await _types(sessionmaker, owner, every_30) == ["device_offline", "device_online"]


async def test_a_flapping_device_notifies_at_most_once_per_30_minutes(sessionmaker: Sessions) -> None:
    owner = await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner)
    for minute in range(0, 61, 5):  # drops off at every full 5 minutes, back a minute later, for an hour
        at = T0 + timedelta(minutes=minute)
        async with sessionmaker() as session:
            await presence.mark_offline(session, device, at, presence.LAST_WILL)
            await presence.mark_online(session, device, at + timedelta(minutes=1))
            await session.commit()
    types = await _types(sessionmaker, owner, device)
    # Offline notices at 0, 30 and 60 minutes, each with its back-online notice; the rest was damped.
    assert types == ["device_offline", "device_online"] * 3
    assert len(await outbox_of(sessionmaker, owner)) == 6


async def test_night_mode_holds_offline_notices(sessionmaker: Sessions) -> None:
    owner = await make_user(sessionmaker, timezone="Europe/Moscow")
    device = await pair_device(sessionmaker, owner_id=owner, night_mode_start=22, night_mode_end=7)
    night = datetime(2026, 3, 11, 21, 0, tzinfo=UTC)  # midnight in Moscow
    async with sessionmaker() as session:
        await presence.mark_offline(session, device, night, presence.LAST_WILL)
        await session.commit()
    assert [(a.type, a.held) for a in await alerts_of(sessionmaker, owner, device)] == [
        ("device_offline", True)
    ]
    assert await outbox_of(sessionmaker, owner) == []


async def test_silence_is_judged_only_after_listening_for_the_whole_window(sessionmaker: Sessions) -> None:
    """After a processor restart, the broker is still handing over what devices sent meanwhile."""
    owner = await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner, report_interval=30)
    await _seen(sessionmaker, device, T0)
    restarted = T0 + timedelta(minutes=10)
    async with sessionmaker() as session:
        early = await presence.sweep_silent_devices(session, restarted + timedelta(seconds=60), restarted)
        late = await presence.sweep_silent_devices(session, restarted + timedelta(seconds=90), restarted)
        await session.commit()
    assert device not in early
    assert device in late


async def test_a_stale_last_seen_never_makes_silence_look_longer_than_it_is(sessionmaker: Sessions) -> None:
    """The writer lets last_seen lag a few seconds behind; the sweep adds that lag to the 90 s of silence."""
    owner = await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner, report_interval=10)
    await _seen(sessionmaker, device, T0)
    lag = timedelta(seconds=5)
    async with sessionmaker() as session:
        early = await presence.sweep_silent_devices(session, T0 + timedelta(seconds=92), last_seen_lag=lag)
        late = await presence.sweep_silent_devices(session, T0 + timedelta(seconds=95), last_seen_lag=lag)
        await session.commit()
    assert device not in early
    assert device in late


async def test_a_configured_minimum_silence_replaces_the_90_seconds(sessionmaker: Sessions) -> None:
    """OFFLINE_MIN_SILENCE_SECONDS: the floor moves, the 3 missed reports still count."""
    owner = await make_user(sessionmaker)
    fast = await pair_device(sessionmaker, owner_id=owner, report_interval=1)
    slow = await pair_device(sessionmaker, owner_id=owner, report_interval=30)
    for device in (fast, slow):
        await _seen(sessionmaker, device, T0)
    async with sessionmaker() as session:
        gone = [
            await presence.sweep_silent_devices(
                session, T0 + timedelta(seconds=after), min_silence=timedelta(seconds=10)
            )
            for after in (9, 10, 89, 90)
        ]
        await session.commit()
    early, late, slow_early, slow_late = gone
    assert fast not in early
    assert fast in late
    assert slow not in slow_early
    assert slow in slow_late
