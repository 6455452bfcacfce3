"""Offline and back-online notices, with flap damping (SPEC section 5).

`devices.offline_since` is the alerting side's own memory of an offline episode: ingest overwrites
`devices.is_online` with every status message, so it cannot tell whether an episode was already announced.
Damping: at most one offline notice per device per 30 minutes (`devices.offline_notified_at`); a back-online
notice goes out only when the offline notice of the same episode did, so a flapping device stays quiet.
All functions run in the caller's transaction and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.alerts import should_notify_offline
from core.alerts.presence import MIN_SILENCE, MISSED_REPORTS
from core.services import notices

OFFLINE = "device_offline"
ONLINE = "device_online"
LAST_WILL = "last_will"
SILENCE = "silence"


@dataclass(frozen=True, slots=True)
class _WentOffline:
    device_id: int
    reason: str
    last_seen: datetime | None
    notified_at: datetime | None


_MARK_ONE = text("""
UPDATE devices AS d SET offline_since = :now, is_online = false
FROM (SELECT id, last_seen, offline_notified_at FROM devices WHERE id = :id FOR UPDATE) AS old
WHERE d.id = old.id AND d.offline_since IS NULL
RETURNING d.id, old.last_seen, old.offline_notified_at
""")

# One statement for the whole fleet. A device counts as gone when ingest recorded it offline (its Last Will
# or an "offline" status) or when it has been silent for 3 report intervals, at least the minimum silence
# (90 s unless OFFLINE_MIN_SILENCE_SECONDS says otherwise), while we were
# listening (after a processor restart, silence is judged only once the window has passed: the broker is
# still handing over what the devices sent meanwhile). Rows that ingest is writing right now are skipped: a
# message is arriving for them, they are not silent.
_SWEEP = text("""
WITH gone AS (
    SELECT d.id, d.is_online, d.last_seen, d.offline_notified_at
    FROM devices d JOIN device_configs c ON c.device_id = d.id
    WHERE d.offline_since IS NULL AND d.last_seen IS NOT NULL AND d.paired_at IS NOT NULL
      AND ((NOT d.is_online AND d.last_seen <= CAST(:now AS timestamptz))
           OR GREATEST(d.last_seen, COALESCE(CAST(:listening_since AS timestamptz), '-infinity'))
              <= CAST(:now AS timestamptz) - CAST(:last_seen_lag AS float8) * interval '1 second'
                 - GREATEST(c.report_interval * CAST(:missed AS int) * interval '1 second',
                            CAST(:min_silence AS float8) * interval '1 second'))
    ORDER BY d.id
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE devices AS d SET offline_since = :now, is_online = false
FROM gone WHERE d.id = gone.id
RETURNING d.id, gone.is_online, gone.last_seen, gone.offline_notified_at
""")

_BACK_ONLINE = text("""
WITH back AS (
    SELECT id, offline_since, offline_notified_at FROM devices
    WHERE id = ANY(CAST(:ids AS int[])) AND offline_since IS NOT NULL
    ORDER BY id
    FOR UPDATE
)
UPDATE devices AS d SET offline_since = NULL
FROM back WHERE d.id = back.id
RETURNING d.id, back.offline_since, back.offline_notified_at
""")

# Devices that spoke again (an "online" status, or telemetry whose batch was not fed to us) since they went
# offline; ingest has already set is_online and last_seen.
_SPOKE_AGAIN = text("""
SELECT id FROM devices
WHERE offline_since IS NOT NULL AND is_online AND last_seen > offline_since AND last_seen <= :now
""")

_NOTED = text("UPDATE devices SET offline_notified_at = :now WHERE id = ANY(CAST(:ids AS int[]))")


async def mark_offline(session: AsyncSession, device_id: int, now: datetime, reason: str) -> bool:
    """Open an offline episode for the device (e.g. on its Last Will); False if one is open already.

    Its users are told unless they heard about this device going offline less than 30 minutes ago.
    """
    row = (await session.execute(_MARK_ONE, {"id": device_id, "now": now})).one_or_none()
    if row is None:
        return False
    await _announce(session, [_WentOffline(row.id, reason, row.last_seen, row.offline_notified_at)], now)
    return True


async def sweep_silent_devices(
    session: AsyncSession,
    now: datetime,
    listening_since: datetime | None = None,
    last_seen_lag: timedelta = timedelta(0),
    min_silence: timedelta = MIN_SILENCE,
) -> list[int]:
    """Open offline episodes for every device gone silent or recorded offline by ingest; their ids.

    `listening_since`: since when the caller's ingest has been receiving; silence before it proves nothing.
    `last_seen_lag`: how stale the writer lets devices.last_seen get; added to the silence, so a device is
    never called offline before max(3 intervals, `min_silence`) of real silence.
    `min_silence`: the floor on that silence, the setting OFFLINE_MIN_SILENCE_SECONDS (SPEC: 90 s).
    One query for the fleet; safe to run from several processes at once (each device is taken by one).
    """
    params = {
        "now": now,
        "listening_since": listening_since,
        "missed": MISSED_REPORTS,
        "min_silence": min_silence.total_seconds(),
        "last_seen_lag": last_seen_lag.total_seconds(),
    }
    rows = (await session.execute(_SWEEP, params)).all()
    gone = [
        _WentOffline(row.id, SILENCE if row.is_online else LAST_WILL, row.last_seen, row.offline_notified_at)
        for row in rows
    ]
    await _announce(session, gone, now)
    return [item.device_id for item in gone]


async def sweep_back_online(session: AsyncSession, now: datetime) -> list[int]:
    """Close the offline episodes of devices that ingest has heard from since; their ids."""
    ids = list(await session.scalars(_SPOKE_AGAIN, {"now": now}))
    return await mark_back_online(session, ids, now)


async def mark_online(session: AsyncSession, device_id: int, now: datetime) -> bool:
    """Close the device's offline episode, if one is open; True if it was."""
    return bool(await mark_back_online(session, [device_id], now))


async def mark_back_online(session: AsyncSession, device_ids: Sequence[int], now: datetime) -> list[int]:
    """Close the open offline episodes among `device_ids` (one query when none is open); their ids.

    A back-online notice goes out for an episode whose offline notice went out, saying how long it lasted.
    """
    if not device_ids:
        return []
    rows = (await session.execute(_BACK_ONLINE, {"ids": sorted(set(device_ids))})).all()
    announced = [
        notices.Notice(
            device_id=row.id,
            alert_type=ONLINE,
            details={
                "offline_since": row.offline_since.isoformat(),
                "duration_seconds": round((now - row.offline_since).total_seconds()),
            },
        )
        for row in rows
        if row.offline_notified_at is not None and row.offline_notified_at >= row.offline_since
    ]
    await notices.fan_out(session, announced, now)
    return [row.id for row in rows]


async def _announce(session: AsyncSession, gone: list[_WentOffline], now: datetime) -> None:
    told = [item for item in gone if should_notify_offline(item.notified_at, now)]
    if not told:
        return
    await session.execute(_NOTED, {"now": now, "ids": [item.device_id for item in told]})
    await notices.fan_out(session, [_offline_notice(item) for item in told], now)


def _offline_notice(item: _WentOffline) -> notices.Notice:
    return notices.Notice(
        device_id=item.device_id,
        alert_type=OFFLINE,
        details={
            "reason": item.reason,
            "last_seen": item.last_seen.isoformat() if item.last_seen else None,
        },
    )
