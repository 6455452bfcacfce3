"""Billing test setup in plain SQL: users, devices and owner links (the ownership trigger does the rest)."""

from __future__ import annotations

import os
import secrets
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from sandbox.programs import BotProcess
from tests.kit.forkserver import run_to_end
from tests.kit.sql import execute


async def make_user(
    engine: AsyncEngine, timezone: str = "Europe/Moscow", telegram_id: int | None = None
) -> int:
    async with engine.begin() as connection:
        row = await connection.execute(
            text(
                "INSERT INTO users (telegram_id, first_name, timezone) VALUES (:tg, 'Test', :tz) RETURNING id"
            ),
            {"tg": telegram_id or secrets.randbelow(10**12) + 10**12, "tz": timezone},
        )
        return int(row.scalar_one())


async def make_device(engine: AsyncEngine) -> int:
    async with engine.begin() as connection:
        row = await connection.execute(
            text("INSERT INTO devices (device_uid, device_type) VALUES (:uid, 'co2') RETURNING id"),
            {"uid": f"bill-{secrets.token_hex(6)}"},
        )
        return int(row.scalar_one())


async def own(engine: AsyncEngine, user: int, device: int, since: datetime) -> None:
    """Link `user` as owner (the trigger opens an ownership) and date the ownership back to `since`."""
    await execute(
        engine,
        "INSERT INTO user_devices (user_id, device_id, role) VALUES (:user, :device, 'owner')",
        user=user,
        device=device,
    )
    await execute(
        engine,
        "UPDATE device_ownerships SET started_at = :since WHERE device_id = :device AND ended_at IS NULL",
        since=since,
        device=device,
    )


async def unlink(engine: AsyncEngine, device: int, at: datetime) -> None:
    """Remove every link of the device (as /devices' removal does) and date the end of ownership to `at`."""
    await execute(engine, "DELETE FROM user_devices WHERE device_id = :device", device=device)
    await execute(
        engine,
        "UPDATE device_ownerships SET ended_at = :at"
        " WHERE device_id = :device AND ended_at >= now() - interval '1 minute'",
        at=at,
        device=device,
    )


class BillingBot(BotProcess):
    """The package's bot: where YooKassa posts to it, and `python -m bot.jobs` run with its settings."""

    @property
    def notifications_url(self) -> str:
        return f"http://127.0.0.1:{self.env['BOT_HTTP_PORT']}/yookassa"

    async def job(self, *args: str, **env: str) -> str:
        """Run `python -m bot.jobs ARGS` to completion; its stdout."""
        finished = await run_to_end("bot.jobs", *args, env={**os.environ, **self.env, **env}, within=120)
        assert finished.returncode == 0, finished
        return finished.stdout.strip()


async def own_during(engine: AsyncEngine, device: int, start: datetime, end: datetime) -> None:
    """Rewrite the device's latest ownership as one from `start` to `end`: the history billing reads."""
    await execute(
        engine,
        "UPDATE device_ownerships SET started_at = :start, ended_at = :end"
        " WHERE id = (SELECT max(id) FROM device_ownerships WHERE device_id = :device)",
        start=start,
        end=end,
        device=device,
    )
