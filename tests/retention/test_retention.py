"""The daily retention job: partitions ahead, old ones dropped, expired rows pruned, once per cluster."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.models import Invitation, OutboxMessage, PairingCode, User
from core.services import devices, pairing, retention
from sandbox.seed import make_user, offer_device, pair_device
from tests.kit.forkserver import run_to_end
from tests.kit.sql import device_id, execute, fetch

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


async def _partitions(engine: AsyncEngine) -> set[date]:
    async with engine.connect() as connection:
        names = await connection.scalars(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = 'telemetry'::regclass"
            )
        )
        return {datetime.strptime(name[len("telemetry_") :], "%Y%m%d").date() for name in names}


async def _device(engine: AsyncEngine) -> int:
    async with engine.begin() as connection:
        return int(
            await connection.scalar(
                text("INSERT INTO devices (device_uid, device_type) VALUES (:uid, 'co2') RETURNING id"),
                {"uid": f"ret-{secrets.token_hex(5)}"},
            )
        )


async def _reading(engine: AsyncEngine, device_id: int, day: date) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("SELECT telemetry_ensure_partition(:day)"), {"day": day})
        await connection.execute(
            text("INSERT INTO telemetry (device_id, ts, co2) VALUES (:id, :ts, 700)"),
            {"id": device_id, "ts": datetime(day.year, day.month, day.day, 12, tzinfo=UTC)},
        )


async def test_partitions_past_retention_are_dropped_and_a_week_ahead_exists(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    device_id = await _device(engine)
    oldest_kept = TODAY - timedelta(days=30)
    for day in (oldest_kept - timedelta(days=5), oldest_kept - timedelta(days=1), oldest_kept, TODAY):
        await _reading(engine, device_id, day)

    pruned = await retention.run(sessionmaker, NOW, retention_days=30)

    assert pruned is not None
    assert pruned.partitions_dropped >= 2
    partitions = await _partitions(engine)
    assert min(partitions) == oldest_kept
    assert {TODAY + timedelta(days=n) for n in range(8)} <= partitions
    async with engine.connect() as connection:
        days = await connection.scalars(
            text("SELECT ts::date FROM telemetry WHERE device_id = :id ORDER BY ts"), {"id": device_id}
        )
        assert list(days) == [oldest_kept, TODAY]


async def test_expired_codes_invitations_and_old_delivered_notices_are_pruned_and_nothing_else(
    sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    device_id = await _device(engine)
    long_ago, recently = NOW - timedelta(days=8), NOW - timedelta(hours=1)
    async with sessionmaker() as session:
        user = User(telegram_id=secrets.randbelow(10**9) + 10**9, first_name="Retention")
        session.add(user)
        await session.flush()

        def code(expires: datetime, **fields: object) -> PairingCode:
            return PairingCode(
                device_id=device_id, code=secrets.token_hex(4).upper(), expires_at=expires, **fields
            )

        def notice(status: str, age: timedelta) -> OutboxMessage:
            return OutboxMessage(
                user_id=user.id, kind="test", payload={}, status=status, created_at=NOW - age
            )

        session.add_all(
            [
                gone_code := code(long_ago),
                code(recently),
                # Used, but the device has not been told "paired" yet: still the processor's work.
                code(long_ago, used_at=long_ago, used_by=user.id),
                code(long_ago, used_at=long_ago, used_by=user.id, announced_at=long_ago),
                Invitation(
                    token_hash=secrets.token_hex(32),
                    device_id=device_id,
                    role="viewer",
                    created_by=user.id,
                    expires_at=long_ago,
                ),
                Invitation(
                    token_hash=secrets.token_hex(32),
                    device_id=device_id,
                    role="viewer",
                    created_by=user.id,
                    expires_at=NOW + timedelta(days=1),
                ),
                notice("sent", timedelta(days=31)),
                notice("failed", timedelta(days=31)),
                notice("pending", timedelta(days=31)),
                notice("sent", timedelta(days=1)),
            ]
        )
        await session.commit()
        gone = gone_code.code

    pruned = await retention.run(sessionmaker, NOW, retention_days=400)

    assert pruned is not None
    async with sessionmaker() as session:
        codes = await session.scalars(select(PairingCode).where(PairingCode.device_id == device_id))
        left = {(c.used_at is not None, c.announced_at is not None, c.expires_at == recently) for c in codes}
        assert left == {(False, False, True), (True, False, False)}
        assert gone not in {c.code for c in await session.scalars(select(PairingCode))}
        invitations = await session.scalars(
            select(Invitation.expires_at).where(Invitation.device_id == device_id)
        )
        assert list(invitations) == [NOW + timedelta(days=1)]
        notices = await session.execute(
            select(OutboxMessage.status, OutboxMessage.created_at).where(OutboxMessage.user_id == user.id)
        )
        left_notices = sorted((status, (NOW - created).days) for status, created in notices)
        assert left_notices == [("pending", 31), ("sent", 1)]


async def test_only_one_replica_runs_retention_at_a_time(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as other_replica:
        await other_replica.execute(select(func.pg_advisory_xact_lock(retention.RETENTION_LOCK)))
        assert await retention.run(sessionmaker, NOW, retention_days=400) is None
    # The other replica's transaction ended: the lock is free again.
    assert await retention.run(sessionmaker, NOW, retention_days=400) is not None


async def test_operator_runs_retention_by_hand(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "TELEMETRY_RETENTION_DAYS": "400"}
    finished = await run_to_end("bot.jobs", "retention", env=env)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.startswith("retention: partitions dropped ")


async def test_devices_never_paired_go_a_day_after_their_code_expired_and_removed_ones_stay(
    sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    async def offered(at: datetime) -> int:
        uid, _ = await offer_device(sessionmaker, at=at)
        await _backdate(engine, uid, at)
        return await device_id(engine, uid)

    stale = await offered(NOW - timedelta(days=3))
    just_expired = await offered(NOW - pairing.CODE_TTL - timedelta(hours=1))
    pending = await offered(NOW)
    owner = await make_user(sessionmaker)
    paired = await pair_device(sessionmaker, owner_id=owner, created_at=NOW - timedelta(days=30))
    removed = await pair_device(sessionmaker, owner_id=owner, created_at=NOW - timedelta(days=30))
    async with sessionmaker() as session:
        await devices.remove(session, owner, removed)
    old = NOW - timedelta(days=20)
    await execute(
        engine, "UPDATE pairing_codes SET expires_at = :at WHERE device_id = :id", at=old, id=removed
    )

    pruned = await retention.run(sessionmaker, NOW, retention_days=400)

    assert pruned is not None and pruned.unpaired_devices >= 1
    left = {row[0] for row in await fetch(engine, "SELECT id FROM devices")}
    assert stale not in left
    assert {just_expired, pending, paired, removed} <= left
    assert await fetch(engine, "SELECT 1 FROM pairing_codes WHERE device_id = :id", id=stale) == []


_EXPIRE = "UPDATE pairing_codes SET expires_at = :at WHERE device_id = :id"


async def _backdate(engine: AsyncEngine, uid: str, at: datetime) -> None:
    await execute(engine, "UPDATE devices SET created_at = :at WHERE device_uid = :uid", at=at, uid=uid)
