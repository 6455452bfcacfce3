"""Reading and writing the test database with plain SQL (named `:parameters`), for what a test checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sandbox.botapi import TelegramUser

# Tests hold the package's engine or its sessionmaker; either one names the database.
Database = AsyncEngine | async_sessionmaker[AsyncSession]


def _engine(database: Database) -> AsyncEngine:
    return database if isinstance(database, AsyncEngine) else database.kw["bind"]


async def fetch(database: Database, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with _engine(database).connect() as connection:
        return [tuple(row) for row in await connection.execute(text(sql), params)]


async def execute(database: Database, sql: str, **params: Any) -> None:
    """Run `sql` in a transaction of its own, committed when it returns."""
    async with _engine(database).begin() as connection:
        await connection.execute(text(sql), params)


async def device_id(engine: AsyncEngine, uid: str) -> int:
    rows = await fetch(engine, "SELECT id FROM devices WHERE device_uid = :uid", uid=uid)
    return int(rows[0][0])


async def user_id(engine: AsyncEngine, person: TelegramUser) -> int:
    rows = await fetch(engine, "SELECT id FROM users WHERE telegram_id = :id", id=person.id)
    return int(rows[0][0])


async def links(engine: AsyncEngine, device: int) -> dict[int, str]:
    """telegram id -> role of everyone linked to the device."""
    rows = await fetch(
        engine,
        "SELECT u.telegram_id, ud.role FROM user_devices ud JOIN users u ON u.id = ud.user_id"
        " WHERE ud.device_id = :device",
        device=device,
    )
    return {int(telegram_id): str(role) for telegram_id, role in rows}


async def set_status(database: Database, device: int, online: bool, last_seen: datetime | None) -> None:
    """What ingest records for a device: the online flag and when it was last heard from."""
    await execute(
        database,
        "UPDATE devices SET is_online = :online, last_seen = :seen WHERE id = :device",
        online=online,
        seen=last_seen,
        device=device,
    )
