"""Devices made directly in the database, for service-level tests that need no Telegram."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def make_device(
    engine: AsyncEngine, name: str = "Kitchen", created_at: datetime | None = None, device_type: str = "co2"
) -> int:
    """A paired device (a CO2 monitor unless told) with the default config (threshold 1000) and CO2 alert
    rule."""
    async with engine.begin() as connection:
        device_id = await connection.scalar(
            text(
                "INSERT INTO devices (device_uid, device_type, name, paired_at, created_at)"
                " VALUES (:uid, :type, :name, now(), coalesce(:created, now())) RETURNING id"
            ),
            {"uid": f"hist-{secrets.token_hex(5)}", "type": device_type, "name": name, "created": created_at},
        )
        await connection.execute(
            text("INSERT INTO device_configs (device_id) VALUES (:id)"), {"id": device_id}
        )
        await connection.execute(
            text(
                "INSERT INTO alert_rules (device_id, metric, direction, threshold, clear_level)"
                " VALUES (:id, 'co2', 'above', 1000, 900)"
            ),
            {"id": device_id},
        )
    return int(device_id)
