"""The morning digest: the night's numbers from telemetry and alerts, queued once per user and local day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.services import digest, presence
from sandbox.seed import Sessions, make_user, pair_device
from tests.alerting.helpers import feed, outbox_of
from tests.kit.sql import execute

W0 = datetime(2026, 3, 11, 20, 0, tzinfo=UTC)  # 23:00 in Moscow
W1 = W0 + timedelta(hours=2)


async def _telemetry(sessions: Sessions, device: int, readings: list[tuple[datetime, float]]) -> None:
    await execute(sessions, "SELECT telemetry_ensure_partitions('2026-03-10', '2026-03-13')")
    await execute(
        sessions,
        "INSERT INTO telemetry (device_id, ts, co2) "
        "SELECT :d, * FROM unnest(CAST(:ts AS timestamptz[]), CAST(:co2 AS real[]))",
        d=device,
        ts=[ts for ts, _ in readings],
        co2=[co2 for _, co2 in readings],
    )


def _every_30_s(start: datetime, values: list[float]) -> list[tuple[datetime, float]]:
    return [(start + timedelta(seconds=30 * i), value) for i, value in enumerate(values)]


async def test_night_summary_matches_the_inserted_telemetry_and_alerts(sessionmaker: Sessions) -> None:
    owner = await make_user(sessionmaker, timezone="Europe/Moscow")
    stuffy = await pair_device(sessionmaker, owner_id=owner, night_mode_start=22, night_mode_end=7)
    calm = await pair_device(sessionmaker, owner_id=owner, night_mode_start=22, night_mode_end=7)
    # An hour of readings, the last 10 minutes above 1000 ppm; then 10.5 minutes of silence (an outage is
    # not time above the threshold: the gap counts 90 s at most); then 10 minutes at 1100 ppm.
    first_hour = [800.0] * 100 + [1200.0] * 20
    later = [1100.0] * 20
    await _telemetry(
        sessionmaker,
        stuffy,
        [
            (W0 - timedelta(minutes=5), 5000.0),  # before the night: not counted
            *_every_30_s(W0, first_hour),
            *_every_30_s(W0 + timedelta(minutes=70), later),
        ],
    )
    await _telemetry(sessionmaker, calm, _every_30_s(W0, [600.0] * 10))
    # A held alert at 00:20 Moscow time and an outage from 00:30 to 00:40, both held by night mode.
    await feed(sessionmaker, stuffy, W0 + timedelta(minutes=80), [(0, 1500), (61, 1500)])
    async with sessionmaker() as session:
        await presence.mark_offline(session, stuffy, W0 + timedelta(minutes=90), presence.LAST_WILL)
        await presence.mark_online(session, stuffy, W0 + timedelta(minutes=100))
        await session.commit()

    async with sessionmaker() as session:
        nights = {night.device_id: night for night in await digest.night_summary(session, owner, W0, W1)}

    night = nights[stuffy]
    assert night.co2_max == 1200
    assert night.co2_avg is not None
    assert abs(night.co2_avg - (100 * 800 + 20 * 1200 + 20 * 1100) / 140) < 1e-6
    assert night.above_threshold == timedelta(seconds=(19 * 30 + 90) * 2)  # 22 minutes
    assert [(a.alert_type, a.value, a.threshold) for a in night.held] == [("co2_high", 1500, 1000)]
    assert night.held[0].at == W0 + timedelta(minutes=80, seconds=61)
    assert [(p.start, p.end) for p in night.offline] == [
        (W0 + timedelta(minutes=90), W0 + timedelta(minutes=100))
    ]
    assert not night.quiet
    assert nights[calm].quiet and nights[calm].co2_max == 600


async def test_a_digest_is_queued_once_per_user_and_local_day(sessionmaker: Sessions) -> None:
    moscow = await make_user(sessionmaker, timezone="Europe/Moscow", digest_hour=8)
    opted_out = await make_user(sessionmaker, timezone="Europe/Moscow", digest_enabled=False)
    tokyo = await make_user(sessionmaker, timezone="Asia/Tokyo", digest_hour=8)
    for user in (moscow, opted_out, tokyo):
        await pair_device(sessionmaker, owner_id=user)
    mine = {moscow, opted_out, tokyo}
    at_0810_moscow = datetime(2026, 3, 12, 5, 10, tzinfo=UTC)

    async with sessionmaker() as session:
        due = [
            item
            for item in await digest.users_due_for_digest(session, at_0810_moscow)
            if item.user_id in mine
        ]
    assert [(item.user_id, item.local_date, item.at) for item in due] == [
        (moscow, date(2026, 3, 12), datetime(2026, 3, 12, 5, 0, tzinfo=UTC))
    ]

    for minutes in (0, 20, 45):  # the scheduler runs again and again within the hour
        async with sessionmaker() as session:
            await digest.queue_due_digests(session, at_0810_moscow + timedelta(minutes=minutes))
            await session.commit()
    (queued,) = await outbox_of(sessionmaker, moscow, kind="digest")
    assert queued.dedup_key == f"digest:{moscow}:2026-03-12"
    assert queued.payload["date"] == "2026-03-12"
    assert queued.payload["night_start"] == "2026-03-11T17:00:00+00:00"
    assert queued.payload["all_good"] is True
    assert [d["minutes_above_threshold"] for d in queued.payload["devices"]] == [0]
    assert await outbox_of(sessionmaker, opted_out, kind="digest") == []
    assert await outbox_of(sessionmaker, tokyo, kind="digest") == []

    next_morning = at_0810_moscow + timedelta(days=1)
    async with sessionmaker() as session:
        await digest.queue_due_digests(session, next_morning)
        await session.commit()
    assert len(await outbox_of(sessionmaker, moscow, kind="digest")) == 2
