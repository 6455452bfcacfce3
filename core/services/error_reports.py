"""Errors reach operators: one notice per error kind per 10 minutes, through the outbox, with a repeat count.

Both programs report here, so the throttle lives in PostgreSQL (`error_reports`, one row per kind): whichever
program sees a kind first within the window sends the notice, every later occurrence only counts, and the next
notice after the window says how often it happened in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import notify
from core.models import ErrorReport, OutboxMessage, User

ERROR_KIND = "operator_error"  # the outbox kind of the notice
THROTTLE = timedelta(minutes=10)
KIND_MAX_LENGTH = 200
MESSAGE_MAX_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Occurrence:
    """`count` errors of one kind seen by `program`, the last one saying `message`."""

    program: str
    kind: str
    message: str
    count: int
    at: datetime


async def report(session: AsyncSession, occurrence: Occurrence, operators: frozenset[int]) -> bool:
    """Count the occurrence; queue a notice to every operator (who has started the bot) unless this kind was
    reported within THROTTLE. True when a notice was queued. Runs in the caller's transaction."""
    kind = occurrence.kind[:KIND_MAX_LENGTH]
    never = occurrence.at - THROTTLE - THROTTLE
    await session.execute(
        insert(ErrorReport).values(kind=kind, last_sent_at=never, repeats=0).on_conflict_do_nothing()
    )
    row = await session.get(ErrorReport, kind, with_for_update=True, populate_existing=True)
    assert row is not None
    if occurrence.at - row.last_sent_at < THROTTLE:
        row.repeats += occurrence.count
        return False
    # Repeats since the last notice, and those of this batch beyond the one the notice is about.
    repeats = row.repeats + occurrence.count - 1
    row.last_sent_at, row.repeats = occurrence.at, 0
    payload = {
        "program": occurrence.program,
        "kind": kind,
        "message": occurrence.message[:MESSAGE_MAX_LENGTH],
        "repeats": repeats,
        "at": occurrence.at.isoformat(),
    }
    recipients = list(await session.scalars(select(User.id).where(User.telegram_id.in_(operators))))
    session.add_all(
        OutboxMessage(user_id=user_id, kind=ERROR_KIND, payload=payload) for user_id in recipients
    )
    if recipients:
        await notify.notify(session, notify.OUTBOX, ERROR_KIND)
    return bool(recipients)
