"""Users, paired devices and readings for the alerting tests, made the way production makes them."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import Alert, DeviceConfig, OutboxMessage, User, UserDevice
from core.services import pairing
from core.services.alerting import DeviceReading, Outcome, evaluate_batch

Sessions = async_sessionmaker[AsyncSession]
T = TypeVar("T")
_telegram_ids = itertools.count(int(time.time() * 1000) % 10**9 + 5 * 10**9)


async def make_user(sessions: Sessions, **fields: Any) -> int:
    async with sessions() as session:
        user = User(telegram_id=next(_telegram_ids), first_name="Test", **fields)
        session.add(user)
        await session.commit()
        return user.id


async def pair_device(
    sessions: Sessions, owner_id: int, device_type: str = "co2", uid: str | None = None, **config: Any
) -> int:
    """The device asks for a code and the owner claims it; `config` then edits device_configs."""
    now = datetime.now(UTC)
    uid = uid or f"alert-{secrets.token_hex(4)}"
    async with sessions() as session:
        offer = await pairing.offer_code(session, uid, device_type, "2.0.1", now)
    assert offer is not None
    async with sessions() as session:
        owner = await session.get_one(User, owner_id)
        device = await pairing.claim_code(session, owner, offer.code, now)
        if config:
            await session.execute(
                update(DeviceConfig).where(DeviceConfig.device_id == device.id).values(**config)
            )
            await session.commit()
        return device.id


async def share(
    sessions: Sessions, user_id: int, device_id: int, role: str = "viewer", **fields: Any
) -> None:
    async with sessions() as session:
        session.add(UserDevice(user_id=user_id, device_id=device_id, role=role, **fields))
        await session.commit()


async def feed(
    sessions: Sessions, device_id: int, start: datetime, co2: Sequence[tuple[float, float]]
) -> Outcome:
    """Each (seconds after `start`, ppm) arrives fresh, in its own batch, as the processor would feed it."""
    outcome = Outcome()
    for offset, value in co2:
        ts = start + timedelta(seconds=offset)
        async with sessions() as session:
            outcome = await evaluate_batch(session, [DeviceReading(device_id, ts, {"co2": value})], ts)
            await session.commit()
    return outcome


async def alerts_of(sessions: Sessions, user_id: int, device_id: int) -> list[Alert]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Alert).where(Alert.user_id == user_id, Alert.device_id == device_id).order_by(Alert.id)
        )
        return list(rows)


async def outbox_of(sessions: Sessions, user_id: int, kind: str = "alert") -> list[OutboxMessage]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.user_id == user_id, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def execute(sessions: Sessions, sql: str, **params: Any) -> None:
    async with sessions() as session:
        await session.execute(text(sql), params)
        await session.commit()


async def eventually(check: Callable[[], Awaitable[T]], within: float = 20.0, interval: float = 0.05) -> T:
    """Poll `check` until it returns something truthy (and return it), or fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            assert result, f"condition not met within {within}s; last result: {result!r}"
            return result
        await asyncio.sleep(interval)


async def waiting_for_a_row_lock(sessions: Sessions) -> bool:
    """True once some other session of this database waits for a row lock."""
    async with sessions() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
        )
    return bool(waiting)
