"""Claiming and settling notification_outbox rows for the bot's delivery worker.

Life of a row: pending → sending (leased until next_attempt_at) → sent | failed, or back to pending for a
retry. Every function runs in the caller's transaction and never commits; commit `claim_due` before sending,
so the lease is visible to every other worker.

Never twice: a row is handed to one worker at a time (`FOR UPDATE SKIP LOCKED`, then the lease). The worker
records `sent` right after Telegram accepts the message. The one window left is a crash between Telegram's
answer and that commit: the lease expires and the row is sent again. Closing it would mean risking a loss
instead; one duplicate after a crash is the lesser harm for an alert. A lease must outlast the worker's
request timeout, or a slow worker and the next claimer could both send.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import OutboxMessage, User

# Transient failures (network, 5xx) are retried this many times in all before the row is given up.
MAX_ATTEMPTS = 8
BLOCKED = "blocked by user"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A leased row with what the worker needs to render and address it."""

    id: int
    user_id: int
    telegram_id: int
    language: str
    timezone: str
    kind: str
    payload: dict[str, Any]
    alert_id: int | None
    attempts: int
    broadcast_id: int | None = None


# Rows of users who blocked the bot are failed by mark_user_blocked; the join keeps stragglers out too.
# Broadcast rows come after every other notice and at most :bulk_limit of them at a time, so an alert queued
# during a broadcast of thousands is claimed at once and waits behind a handful of sends, not the broadcast.
_DUE = """
    SELECT o.id FROM notification_outbox o
    WHERE o.status IN ('pending', 'sending') AND o.next_attempt_at <= :now AND o.attempts < :max_attempts
      AND o.broadcast_id IS {bulk}
    ORDER BY o.next_attempt_at, o.id
"""
_CLAIM = text(f"""
WITH notices AS ({_DUE.format(bulk="NULL")} LIMIT :limit FOR UPDATE SKIP LOCKED),
bulk AS (
    {_DUE.format(bulk="NOT NULL")}
    LIMIT GREATEST(0, LEAST(:bulk_limit, :limit - (SELECT count(*) FROM notices)))
    FOR UPDATE SKIP LOCKED
),
due AS (SELECT id FROM notices UNION ALL SELECT id FROM bulk)
UPDATE notification_outbox AS o
SET status = 'sending', next_attempt_at = CAST(:now AS timestamptz) + :lease * interval '1 second',
    attempts = o.attempts + 1
FROM due, users u
WHERE o.id = due.id AND u.id = o.user_id
RETURNING o.id, o.user_id, u.telegram_id, u.language, u.timezone, o.kind, o.payload, o.alert_id, o.attempts,
    o.broadcast_id
""").columns(payload=JSONB)


# A row whose every lease ran out is one that kills its worker (or never gets an answer): stop handing it out.
_GIVE_UP = text("""
UPDATE notification_outbox SET status = 'failed', error = :error
WHERE status = 'sending' AND next_attempt_at <= :now AND attempts >= :max_attempts
""")


async def claim_due(
    session: AsyncSession, limit: int, now: datetime, lease: timedelta, bulk_limit: int | None = None
) -> list[Claimed]:
    """Lease up to `limit` due rows: pending ones whose time has come and `sending` ones whose lease
    expired (their worker crashed). Concurrent claimers never receive the same row. Oldest first, broadcast
    rows only after every other due notice and at most `bulk_limit` of them (default: `limit`).
    A row leased MAX_ATTEMPTS times without an outcome is failed instead of handed out again.
    """
    await session.execute(
        _GIVE_UP, {"now": now, "max_attempts": MAX_ATTEMPTS, "error": "lease expired on every attempt"}
    )
    params = {
        "now": now,
        "limit": limit,
        "bulk_limit": limit if bulk_limit is None else bulk_limit,
        "lease": lease.total_seconds(),
        "max_attempts": MAX_ATTEMPTS,
    }
    rows = await session.execute(_CLAIM, params)
    claimed = [Claimed(**row._mapping) for row in rows]
    return sorted(claimed, key=lambda item: item.id)


# `claim_due` as one statement for a connection outside any transaction (autocommitted): the give-up and the
# lease happen together, and never touch the same rows (attempts >= / < MAX_ATTEMPTS). One round trip instead
# of a pool check, BEGIN, two statements and COMMIT: what an alert waits for between its NOTIFY and its send.
_DUE_AT_ONCE = """
    SELECT o.id FROM notification_outbox o
    WHERE o.status IN ('pending', 'sending') AND o.next_attempt_at <= $1 AND o.attempts < $4
      AND o.broadcast_id IS {bulk}
    ORDER BY o.next_attempt_at, o.id
"""
_CLAIM_AT_ONCE = f"""
WITH given_up AS (
    UPDATE notification_outbox SET status = 'failed', error = 'lease expired on every attempt'
    WHERE status = 'sending' AND next_attempt_at <= $1 AND attempts >= $4
),
notices AS ({_DUE_AT_ONCE.format(bulk="NULL")} LIMIT $2 FOR UPDATE SKIP LOCKED),
bulk AS (
    {_DUE_AT_ONCE.format(bulk="NOT NULL")}
    LIMIT GREATEST(0, LEAST($3, $2 - (SELECT count(*) FROM notices)))
    FOR UPDATE SKIP LOCKED
),
due AS (SELECT id FROM notices UNION ALL SELECT id FROM bulk)
UPDATE notification_outbox AS o
SET status = 'sending', next_attempt_at = $1 + CAST($5 AS float8) * interval '1 second',
    attempts = o.attempts + 1
FROM due, users u
WHERE o.id = due.id AND u.id = o.user_id
RETURNING o.id, o.user_id, u.telegram_id, u.language, u.timezone, o.kind, o.payload::text AS payload,
    o.alert_id, o.attempts, o.broadcast_id
"""


async def claim_due_at_once(
    connection: asyncpg.Pool, limit: int, now: datetime, lease: timedelta, bulk_limit: int
) -> list[Claimed]:
    """`claim_due` in one autocommitted round trip, with the same guarantees."""
    rows = await connection.fetch(_CLAIM_AT_ONCE, now, limit, bulk_limit, MAX_ATTEMPTS, lease.total_seconds())
    claimed = [Claimed(**{**dict(row), "payload": json.loads(row["payload"])}) for row in rows]
    return sorted(claimed, key=lambda item: item.id)


async def mark_sent(session: AsyncSession, outbox_id: int, message_id: int | None, now: datetime) -> None:
    """Record that Telegram accepted the message; call and commit right after its answer."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(status="sent", sent_at=now, telegram_message_id=message_id, error=None)
    )


_MARK_SENT = """
UPDATE notification_outbox SET status = 'sent', sent_at = $3, telegram_message_id = $2, error = NULL
WHERE id = $1
"""


async def mark_sent_at_once(
    connection: asyncpg.Pool, outbox_id: int, message_id: int | None, now: datetime
) -> None:
    """`mark_sent` in one round trip, committed by itself (autocommit): what the worker calls the moment
    Telegram answers, as every millisecond before this commit is one in which a crash means a duplicate."""
    await connection.execute(_MARK_SENT, outbox_id, message_id, now)


async def mark_retry(
    session: AsyncSession,
    outbox_id: int,
    error: str,
    retry_after: timedelta,
    now: datetime,
    *,
    counts: bool = True,
) -> bool:
    """Put the row back for another try after `retry_after`; False when its attempts are used up (failed).

    `counts=False` is for flood control (429): waiting is not a failure, so the attempt is given back.
    """
    row = await session.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None or row.status != "sending":
        return False
    if not counts:
        row.attempts = max(row.attempts - 1, 0)
    row.error = error[:1000]
    if counts and row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
        return False
    row.status = "pending"
    row.next_attempt_at = now + retry_after
    return True


async def mark_failed(session: AsyncSession, outbox_id: int, error: str) -> None:
    """Give the row up for good (e.g. Telegram refused it as malformed)."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(status="failed", error=error[:1000])
    )


async def mark_user_blocked(session: AsyncSession, user_id: int) -> int:
    """The user blocked the bot: mark them inactive (fan-out skips them from now on) and fail their waiting
    rows, including the one being sent. Returns how many rows were failed.
    """
    await session.execute(update(User).where(User.id == user_id).values(is_active=False))
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user_id, OutboxMessage.status.in_(("pending", "sending")))
        .values(status="failed", error=BLOCKED)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
