"""Claiming outbox rows for delivery: one worker per row, leases that expire, bounded retries, blocked users.

Rows here are due at a moment in 2001, so rows of other tests (due now) never interfere with the claims.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from core.models import OutboxMessage, User
from core.services import outbox
from sandbox.seed import Sessions, make_user
from tests.kit.sql import execute

T0 = datetime(2001, 1, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


@pytest.fixture(autouse=True)
async def _settle_earlier_rows(sessionmaker: Sessions) -> None:
    """Rows an earlier test of this file left leased would be handed out again here, and rightly so."""
    await execute(
        sessionmaker,
        "UPDATE notification_outbox SET status = 'failed' WHERE next_attempt_at < :end AND status <> 'sent'",
        end=T0 + timedelta(days=365),
    )


async def _queue(sessions: Sessions, user_id: int, count: int, due: datetime = T0) -> list[int]:
    rows = [
        {"user_id": user_id, "kind": "alert", "payload": {"n": n}, "next_attempt_at": due}
        for n in range(count)
    ]
    async with sessions() as session:
        ids = list(await session.scalars(insert(OutboxMessage).returning(OutboxMessage.id), rows))
        await session.commit()
    return ids


async def _claim(sessions: Sessions, now: datetime, limit: int = 100) -> list[outbox.Claimed]:
    async with sessions() as session:
        claimed = await outbox.claim_due(session, limit, now, LEASE)
        await session.commit()
    return claimed


async def _row(sessions: Sessions, outbox_id: int) -> OutboxMessage:
    async with sessions() as session:
        return await session.get_one(OutboxMessage, outbox_id)


async def test_two_concurrent_claimers_never_receive_the_same_row(sessionmaker: Sessions) -> None:
    user = await make_user(sessionmaker, language="ru")
    ids = await _queue(sessionmaker, user, 10)
    now = T0 + timedelta(seconds=1)
    async with sessionmaker() as first, sessionmaker() as second:
        # The first claimer's transaction is still open (its rows locked) while the second one claims.
        mine = await outbox.claim_due(first, 6, now, LEASE)
        theirs = await outbox.claim_due(second, 6, now, LEASE)
        await first.commit()
        await second.commit()
    assert len(mine) == 6 and len(theirs) == 4
    assert {c.id for c in mine} | {c.id for c in theirs} == set(ids)
    assert mine[0].language == "ru" and mine[0].payload == {"n": 0}
    assert mine[0].attempts == 1
    assert await _claim(sessionmaker, now) == []  # all leased

    more = await _queue(sessionmaker, user, 40, due=T0 + timedelta(seconds=2))
    later = T0 + timedelta(seconds=3)
    racing = await asyncio.gather(*(_claim(sessionmaker, later, limit=7) for _ in range(4)))
    handed = [c.id for batch in racing for c in batch]
    assert len(handed) == len(set(handed)) == 28
    assert set(handed) <= set(more)


async def test_a_row_whose_lease_expired_is_claimed_again(sessionmaker: Sessions) -> None:
    user = await make_user(sessionmaker)
    (row_id,) = await _queue(sessionmaker, user, 1, due=T0 + timedelta(hours=1))
    start = T0 + timedelta(hours=1)
    assert [c.id for c in await _claim(sessionmaker, start)] == [row_id]
    assert await _claim(sessionmaker, start + LEASE - timedelta(seconds=1)) == []  # the worker may still send
    (again,) = await _claim(sessionmaker, start + LEASE)  # it crashed: the row is handed out again
    assert (again.id, again.attempts) == (row_id, 2)

    async with sessionmaker() as session:
        await outbox.mark_sent(session, row_id, 4242, start + LEASE + timedelta(seconds=1))
        await session.commit()
    sent = await _row(sessionmaker, row_id)
    assert (sent.status, sent.telegram_message_id) == ("sent", 4242)
    assert await _claim(sessionmaker, start + timedelta(days=1)) == []


async def test_retries_are_bounded_and_flood_waits_do_not_count(sessionmaker: Sessions) -> None:
    user = await make_user(sessionmaker)
    start = T0 + timedelta(days=1)
    (row_id,) = await _queue(sessionmaker, user, 1, due=start)
    now = start
    async with sessionmaker() as session:
        await outbox.claim_due(session, 1, now, LEASE)
        assert await outbox.mark_retry(session, row_id, "429", timedelta(seconds=5), now, counts=False)
        await session.commit()
    assert (await _row(sessionmaker, row_id)).attempts == 0
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        now += timedelta(seconds=10)
        (claimed,) = await _claim(sessionmaker, now)
        assert claimed.attempts == attempt
        async with sessionmaker() as session:
            again = await outbox.mark_retry(session, row_id, "timeout", timedelta(seconds=5), now)
            await session.commit()
        assert again is (attempt < outbox.MAX_ATTEMPTS)
    failed = await _row(sessionmaker, row_id)
    assert (failed.status, failed.error) == ("failed", "timeout")
    assert await _claim(sessionmaker, now + timedelta(hours=1)) == []


async def test_a_user_who_blocked_the_bot_is_inactive_and_their_rows_fail(sessionmaker: Sessions) -> None:
    blocker, other = await make_user(sessionmaker), await make_user(sessionmaker)
    start = T0 + timedelta(days=2)
    blocked_rows = await _queue(sessionmaker, blocker, 3, due=start)
    other_rows = await _queue(sessionmaker, other, 2, due=start)
    async with sessionmaker() as session:
        assert await outbox.mark_user_blocked(session, blocker) == 3
        await session.commit()
    assert sorted(c.id for c in await _claim(sessionmaker, start)) == other_rows
    async with sessionmaker() as session:
        statuses = await session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.id.in_(blocked_rows))
        )
        assert set(statuses) == {"failed"}
        assert (await session.get_one(User, blocker)).is_active is False


async def test_a_row_that_outlives_every_lease_is_given_up(sessionmaker: Sessions) -> None:
    """A message that crashes its worker each time must not crash the bot forever."""
    user = await make_user(sessionmaker)
    start = T0 + timedelta(days=3)
    (row_id,) = await _queue(sessionmaker, user, 1, due=start)
    now = start
    for _ in range(outbox.MAX_ATTEMPTS):
        assert [c.id for c in await _claim(sessionmaker, now)] == [row_id]
        now += LEASE
    assert await _claim(sessionmaker, now) == []
    assert (await _row(sessionmaker, row_id)).status == "failed"
