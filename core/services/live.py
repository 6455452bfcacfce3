"""Live views (/live, /watch): who watches which device, and the one fast-reporting request they share.

The reference count is the set of unexpired `live_watchers` rows of a device, kept in PostgreSQL so it
holds across bot replicas and restarts. The first watcher asks the device (command `live`) to report every
`FAST_INTERVAL` s until the latest watcher's end; the last one to stop asks it to go back (duration 0).
A watcher that vanishes without stopping just expires: the device ends live mode by itself.

The bot process keeping a view's message fresh renews its lease (`heartbeat_at`); when that process is gone
(restarted, crashed), another one adopts the view and goes on editing the same message.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.billing import grace
from core.models import LiveWatcher
from core.services import commands
from core.services.access import Action
from core.services.devices import authorize

LIVE_DURATION = timedelta(minutes=10)
FAST_INTERVAL = 5
# A running request that covers the new watcher's end but for this much is left as it is: two people
# opening /live a few seconds apart share one command.
EXTEND_SLACK = timedelta(seconds=60)
# A view whose process has not renewed it for this long is taken over by another (renewals come every 3 s).
ORPHAN_AFTER = timedelta(seconds=15)
# pg_advisory_xact_lock(class, device id): watchers of one device are counted one transaction at a time.
_LOCK_CLASS = 0x4C1E
_ADOPT_LOCK_CLASS = 0x4C1F


@dataclass(frozen=True, slots=True)
class LiveSession:
    id: str
    device_ids: tuple[int, ...]
    expires_at: datetime


async def start(session: AsyncSession, user_id: int, device_ids: Iterable[int], now: datetime) -> LiveSession:
    """Start watching `device_ids` (any member may); replaces the user's previous live view. Commits."""
    wanted = tuple(sorted(set(device_ids)))
    for device_id in wanted:
        await authorize(session, user_id, device_id, Action.VIEW)
    # Devices paused by an overdue invoice are left out; with nothing left, the user is told why.
    paused = await grace.paused_among(session, wanted)
    if paused:
        wanted = tuple(device_id for device_id in wanted if device_id not in paused)
        if not wanted:
            raise grace.DevicePaused(min(paused))
    previous = await _watched_by(session, user_id, now)
    await _lock(session, set(previous) | set(wanted))
    await session.execute(delete(LiveWatcher).where(LiveWatcher.user_id == user_id))
    live = LiveSession(str(uuid.uuid4()), wanted, now + LIVE_DURATION)
    for device_id in wanted:
        running_until = await _watched_until(session, device_id, now)
        session.add(
            LiveWatcher(session_id=live.id, user_id=user_id, device_id=device_id, expires_at=live.expires_at)
        )
        if running_until is None or running_until < live.expires_at - EXTEND_SLACK:
            await _ask_fast(session, device_id, user_id, live.expires_at - now)
    for device_id in set(previous) - set(wanted):
        await _slow_down_if_unwatched(session, device_id, user_id, now)
    await session.commit()
    return live


async def stop(session: AsyncSession, user_id: int, now: datetime, session_id: str | None = None) -> bool:
    """End the user's live view (only `session_id`'s, if given); False if there was none. Commits."""
    query = select(LiveWatcher.device_id).where(LiveWatcher.user_id == user_id, LiveWatcher.expires_at > now)
    if session_id is not None:
        query = query.where(LiveWatcher.session_id == session_id)
    watched = sorted(set(await session.scalars(query)))
    await _lock(session, watched)
    removal = delete(LiveWatcher).where(LiveWatcher.user_id == user_id)
    if session_id is not None:
        removal = removal.where(LiveWatcher.session_id == session_id)
    await session.execute(removal)
    for device_id in watched:
        await _slow_down_if_unwatched(session, device_id, user_id, now)
    await session.commit()
    return bool(watched)


async def attach(
    session: AsyncSession, session_id: str, chat_id: int, message_id: int, now: datetime
) -> None:
    """Remember the message a view edits, so another bot process can take the view over. Commits."""
    await session.execute(
        update(LiveWatcher)
        .where(LiveWatcher.session_id == session_id)
        .values(chat_id=chat_id, message_id=message_id, heartbeat_at=now)
    )
    await session.commit()


async def renew(session: AsyncSession, session_id: str, now: datetime) -> list[int]:
    """The devices a live view still shows, renewing its lease; empty once stopped, replaced or expired."""
    rows = await session.scalars(
        update(LiveWatcher)
        .where(LiveWatcher.session_id == session_id, LiveWatcher.expires_at > now)
        .values(heartbeat_at=now)
        .returning(LiveWatcher.device_id)
    )
    devices = sorted(rows)
    await session.commit()
    return devices


@dataclass(frozen=True, slots=True)
class OrphanView:
    """A live view whose bot process stopped renewing it."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    expires_at: datetime
    device_ids: tuple[int, ...]


async def adopt_orphans(session: AsyncSession, now: datetime) -> list[OrphanView]:
    """Take over the views nobody renewed for `ORPHAN_AFTER` (their lease becomes the caller's). Commits."""
    # One adopter at a time: two processes must not both take the same view.
    await session.execute(text("SELECT pg_advisory_xact_lock(:kind, 0)"), {"kind": _ADOPT_LOCK_CLASS})
    rows = await session.execute(
        update(LiveWatcher)
        .where(
            LiveWatcher.expires_at > now,
            LiveWatcher.heartbeat_at < now - ORPHAN_AFTER,
            LiveWatcher.message_id.is_not(None),
        )
        .values(heartbeat_at=now)
        .returning(
            LiveWatcher.session_id,
            LiveWatcher.user_id,
            LiveWatcher.chat_id,
            LiveWatcher.message_id,
            LiveWatcher.expires_at,
            LiveWatcher.device_id,
        )
    )
    views: dict[str, tuple[Any, list[int]]] = {}
    for row in rows:
        views.setdefault(row.session_id, (row, []))[1].append(row.device_id)
    await session.commit()
    return [
        OrphanView(
            row.session_id, row.user_id, row.chat_id, row.message_id, row.expires_at, tuple(sorted(ids))
        )
        for row, ids in views.values()
    ]


async def release(session: AsyncSession, session_ids: Iterable[str]) -> None:
    """A process shutting down gives its views up at once, so the next one need not wait. Commits."""
    await session.execute(
        update(LiveWatcher)
        .where(LiveWatcher.session_id.in_(list(session_ids)))
        .values(heartbeat_at=datetime(2000, 1, 1, tzinfo=UTC))
    )
    await session.commit()


async def _watched_by(session: AsyncSession, user_id: int, now: datetime) -> list[int]:
    """The devices the user's current (unexpired) view shows."""
    query = select(LiveWatcher.device_id).where(LiveWatcher.user_id == user_id, LiveWatcher.expires_at > now)
    return list(await session.scalars(query))


async def _lock(session: AsyncSession, device_ids: Iterable[int]) -> None:
    for device_id in sorted(device_ids):  # always in the same order: two sessions cannot deadlock
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:kind, :device)"), {"kind": _LOCK_CLASS, "device": device_id}
        )


async def _watched_until(session: AsyncSession, device_id: int, now: datetime) -> datetime | None:
    """Until when the device already reports fast for others (the latest unexpired watcher's end)."""
    result: datetime | None = await session.scalar(
        select(func.max(LiveWatcher.expires_at)).where(
            LiveWatcher.device_id == device_id, LiveWatcher.expires_at > now
        )
    )
    return result


async def _ask_fast(session: AsyncSession, device_id: int, user_id: int, duration: timedelta) -> None:
    if not await commands.reachable(session, device_id):
        return  # an agent (HTTP) reports at its own pace: live shows its readings as they come
    args = {"interval": FAST_INTERVAL, "duration": int(duration.total_seconds())}
    await commands.queue(session, device_id, commands.CommandName.LIVE, args, requested_by=user_id)


async def _slow_down_if_unwatched(session: AsyncSession, device_id: int, user_id: int, now: datetime) -> None:
    if await _watched_until(session, device_id, now) is None and await commands.reachable(session, device_id):
        args = {"interval": FAST_INTERVAL, "duration": 0}
        await commands.queue(session, device_id, commands.CommandName.LIVE, args, requested_by=user_id)
