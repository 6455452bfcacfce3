"""Users, devices, memberships and readings made through the product's own doors, for tests and benchmarks.

Devices are paired the way production pairs them (the device asks for a code, a user claims it), so each
gets its default config and alert rules; readings go through core.telemetry_store as the processor writes
them (COPY, then the hourly rollup folded in).
"""

from __future__ import annotations

import itertools
import math
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core import telemetry_store
from core.db import asyncpg_dsn
from core.models import Device, DeviceConfig, User, UserDevice
from core.services import pairing
from core.telemetry_store import PartitionCache, Row

Sessions = async_sessionmaker[AsyncSession]
# Far above the ids the Bot API double hands out, so a user made here never collides with a chat there.
_telegram_ids = itertools.count(int(time.time() * 1000) % 10**9 + 5 * 10**9)
BATCH = 5000  # rows per write, as the processor batches them


def now() -> datetime:
    return datetime.now(UTC)


def new_uid(prefix: str = "dev") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


async def make_user(
    sessions: Sessions, telegram_id: int | None = None, first_name: str = "Test", **fields: Any
) -> int:
    """A user row, as /start makes it; `fields` set columns such as timezone or language. Returns its id."""
    async with sessions() as session:
        user = User(telegram_id=telegram_id or next(_telegram_ids), first_name=first_name, **fields)
        session.add(user)
        await session.commit()
        return user.id


async def offer_device(
    sessions: Sessions, device_type: str = "co2", *, uid: str | None = None, at: datetime | None = None
) -> tuple[str, str]:
    """A device asking to be paired, as the processor records it: (uid, pairing code)."""
    uid = uid or new_uid("test")
    async with sessions() as session:
        offer = await pairing.offer_code(session, uid, device_type, "2.0.1", at or now())
    assert offer is not None, f"no pairing code offered to {uid}"
    return uid, offer.code


async def pair_device(
    sessions: Sessions,
    *,
    owner_id: int | None = None,
    device_type: str = "co2",
    uid: str | None = None,
    name: str | None = None,
    created_at: datetime | None = None,
    **config: Any,
) -> int:
    """A device its owner (a new user unless given) claimed; `config` then edits its device_configs row,
    `name` and `created_at` its devices row. Returns the device id."""
    uid, code = await offer_device(sessions, device_type, uid=uid)
    owner_id = owner_id or await make_user(sessions)
    async with sessions() as session:
        owner = await session.get_one(User, owner_id)
        device = await pairing.claim_code(session, owner, code, now())
        fields = {key: value for key, value in (("name", name), ("created_at", created_at)) if value}
        if fields:
            await session.execute(update(Device).where(Device.id == device.id).values(**fields))
        if config:
            await session.execute(
                update(DeviceConfig).where(DeviceConfig.device_id == device.id).values(**config)
            )
        await session.commit()
        return device.id


async def share(
    sessions: Sessions, user_id: int, device_id: int, role: str = "viewer", **fields: Any
) -> None:
    """A membership, as an accepted invitation makes it; `fields` set e.g. notifications or muted_until."""
    async with sessions() as session:
        session.add(UserDevice(user_id=user_id, device_id=device_id, role=role, **fields))
        await session.commit()


Metrics = Callable[[datetime], tuple[float | None, float | None, float | None]]


def wave(ts: datetime) -> tuple[float | None, float | None, float | None]:
    """(co2, temperature, humidity): smooth daily waves, so hourly min/mean/max all differ."""
    phase = ts.timestamp() / 86400 * 2 * math.pi
    return (
        800 + 400 * math.sin(phase),
        round(21 + 2 * math.cos(phase), 2),
        round(40 + 10 * math.sin(phase / 2), 1),
    )


def readings(
    device_id: int, start: datetime, end: datetime, step_s: int = 30, metrics: Metrics = wave
) -> Iterator[Row]:
    """One row every `step_s` seconds in [start, end)."""
    moment = start.astimezone(UTC)
    while moment < end:
        co2, temperature, humidity = metrics(moment)
        yield reading(device_id, moment, co2=co2, temperature=temperature, humidity=humidity)
        moment += timedelta(seconds=step_s)


def reading(device_id: int, ts: datetime, **metrics: float | None) -> Row:
    """One row; metrics by their catalogue names (co2, temperature…), the others empty."""
    return telemetry_store.row(device_id, ts, metrics)


async def store(database_url: str, rows: Iterable[Row]) -> int:
    """Write the rows through core.telemetry_store in processor-sized batches, then fold the hourly rollup as
    the processor's rollup task does; returns how many went in."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    written = 0
    try:
        await telemetry_store.prepare(connection)
        partitions = PartitionCache()
        batch: list[Row] = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                written += (await telemetry_store.write_batch(connection, batch, [], partitions)).inserted
                batch = []
        if batch:
            written += (await telemetry_store.write_batch(connection, batch, [], partitions)).inserted
        await telemetry_store.fold_hourly(connection)
    finally:
        await connection.close()
    return written


async def add_reading(engine: AsyncEngine, device_id: int, ts: datetime, **metrics: float) -> None:
    """One reading, stored as the processor stores it."""
    await store(engine.url.render_as_string(hide_password=False), [reading(device_id, ts, **metrics)])
