"""The wrong-code limit (SPEC section 4: 5 per 15 minutes) holds for a burst of concurrent /add too."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import PairingAttempt, User
from core.services import pairing


async def test_a_burst_of_concurrent_wrong_codes_records_at_most_five_attempts(
    sessionmaker: async_sessionmaker[AsyncSession],
):
    async with sessionmaker() as session:
        user = User(telegram_id=10**12 + secrets.randbelow(10**12), first_name="Guesser")
        session.add(user)
        await session.commit()

    async def guess(number: int) -> str:
        async with sessionmaker() as session:
            try:
                await pairing.claim_code(session, user, f"ZZZZ{number:04d}", datetime.now(UTC))
            except pairing.PairingError as refused:
                return refused.reason
        return "paired"

    reasons = await asyncio.gather(*(guess(number) for number in range(20)))

    assert reasons.count("wrong") == pairing.MAX_WRONG_ATTEMPTS
    assert reasons.count("too-many") == 20 - pairing.MAX_WRONG_ATTEMPTS
    async with sessionmaker() as session:
        recorded = await session.scalar(
            select(func.count()).select_from(PairingAttempt).where(PairingAttempt.user_id == user.id)
        )
    assert recorded == pairing.MAX_WRONG_ATTEMPTS
