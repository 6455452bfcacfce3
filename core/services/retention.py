"""Retention (SPEC 10): telemetry partitions created ahead and dropped past `TELEMETRY_RETENTION_DAYS`; the
rows that would only ever grow pruned (expired pairing codes and invitations, delivered notices, devices that
asked for a code and were never paired).

One daily run per cluster: a transaction-scoped advisory lock lets one replica work and the others skip, and
is released by the commit, also if the process dies midway. Hourly rollups (`telemetry_hourly`) are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from core.models import (
    Device,
    DeviceConfig,
    Invitation,
    OutboxMessage,
    PairingAttempt,
    PairingCode,
    UserDevice,
)
from core.models.base import Base

# Any fixed 64-bit number, the same in every replica: the advisory lock of the retention job.
RETENTION_LOCK = 0x5A_7E7E_0001
# Partitions exist this many days ahead, so ingest at midnight never waits for a CREATE TABLE.
DAYS_AHEAD = 7
# An expired code or invitation stays this long, so "this link has expired" can still be told apart from
# "no such link" for a while.
EXPIRED_KEPT = timedelta(days=7)
# Delivered, failed or cancelled notices stay this long for /admin and for looking into a complaint.
FINISHED_NOTICES_KEPT = timedelta(days=30)
# Wrong-code attempts only feed a rate limit counted over minutes.
ATTEMPTS_KEPT = timedelta(days=1)
# A device nobody paired goes this long after its last code expired: a flood of new uids cannot grow
# `devices` without bound, and a real device that comes back later simply asks for a code again.
UNPAIRED_KEPT = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Pruned:
    partitions_dropped: int
    unpaired_devices: int
    pairing_codes: int
    pairing_attempts: int
    invitations: int
    notices: int


def keep_from(today: date, retention_days: int) -> date:
    """The oldest UTC day whose telemetry partition is kept."""
    return today - timedelta(days=retention_days)


async def run(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, retention_days: int
) -> Pruned | None:
    """Do the day's retention; None when another replica holds the lock (it is doing the same work)."""
    today = now.date()
    async with sessionmaker() as session:
        locked = await session.scalar(select(func.pg_try_advisory_xact_lock(RETENTION_LOCK)))
        if not locked:
            return None
        await session.execute(select(func.telemetry_ensure_partitions(today, today + timedelta(DAYS_AHEAD))))
        oldest_kept = keep_from(today, retention_days)
        dropped = await session.scalar(select(func.telemetry_drop_partitions_before(oldest_kept)))
        pruned = Pruned(
            partitions_dropped=int(dropped or 0),
            unpaired_devices=await _delete(session, Device, _never_paired(now - UNPAIRED_KEPT)),
            pairing_codes=await _delete(session, PairingCode, _expired_codes(now - EXPIRED_KEPT)),
            pairing_attempts=await _delete(
                session, PairingAttempt, PairingAttempt.created_at < now - ATTEMPTS_KEPT
            ),
            invitations=await _delete(session, Invitation, Invitation.expires_at < now - EXPIRED_KEPT),
            notices=await _delete(session, OutboxMessage, _finished_notices(now - FINISHED_NOTICES_KEPT)),
        )
        await session.commit()
    return pruned


def _expired_codes(before: datetime) -> ColumnElement[bool]:
    # A used code whose "paired" reply the processor has not sent yet is still work to do.
    return and_(
        PairingCode.expires_at < before,
        or_(PairingCode.used_at.is_(None), PairingCode.announced_at.is_not(None)),
    )


def _never_paired(before: datetime) -> ColumnElement[bool]:
    # A removed device has paired_at cleared too, but keeps its device_configs row, its history and the
    # secret it registered with: only devices that never had one are forgotten.
    return and_(
        Device.paired_at.is_(None),
        Device.created_at < before,
        ~exists().where(DeviceConfig.device_id == Device.id),
        ~exists().where(UserDevice.device_id == Device.id),
        ~exists().where(PairingCode.device_id == Device.id, PairingCode.expires_at >= before),
    )


def _finished_notices(before: datetime) -> ColumnElement[bool]:
    return and_(OutboxMessage.status.in_(("sent", "failed", "cancelled")), OutboxMessage.created_at < before)


async def _delete(session: AsyncSession, model: type[Base], condition: ColumnElement[bool]) -> int:
    result = await session.execute(delete(model).where(condition))
    return int(getattr(result, "rowcount", 0) or 0)
