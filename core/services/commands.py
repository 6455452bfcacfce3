"""Commands to devices (restart, ping, live): queued in PostgreSQL, published by the processor, answered.

A command is sent at most once and only while fresh: one the processor could not publish within its time to
live (COMMAND_TTL_SECONDS) is never sent (the user was already told "no answer"; a restart minutes later would
surprise).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import notify, transport
from core.models import Device, DeviceCommand
from core.services.access import Action
from core.services.devices import authorize


class CommandName(StrEnum):
    RESTART = "restart"
    PING = "ping"
    LIVE = "live"


# What a member may ask for from the device card; `live` goes through core.services.live.
USER_COMMANDS = frozenset({CommandName.RESTART, CommandName.PING})


@dataclass(frozen=True, slots=True)
class CommandResult:
    ok: bool
    error: str | None
    answered_at: datetime
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class OutgoingCommand:
    """A claimed command, as the processor publishes it on devices/{uid}/commands."""

    id: str
    uid: str
    command: str
    args: dict[str, Any]
    created_at: datetime

    def payload(self) -> dict[str, Any]:
        """The `devices/{uid}/commands` document (SPEC section 3)."""
        return {
            "id": self.id,
            "command": self.command,
            "args": self.args,
            "timestamp": int(self.created_at.timestamp()),
        }


async def queue(
    session: AsyncSession,
    device_id: int,
    command: CommandName,
    args: dict[str, Any] | None = None,
    requested_by: int | None = None,
) -> str:
    """Add a command for the device and wake the processor (on commit); returns its id. No commit here.
    MqttOnly for a device that speaks HTTP: a command could never reach it."""
    if not await reachable(session, device_id):
        raise transport.MqttOnly(str(device_id))
    command_id = str(uuid.uuid4())
    session.add(
        DeviceCommand(
            id=command_id, device_id=device_id, command=command, args=args or {}, requested_by=requested_by
        )
    )
    await session.flush()
    await notify.notify(session, notify.COMMAND_QUEUED, command_id)
    return command_id


async def reachable(session: AsyncSession, device_id: int) -> bool:
    """Whether commands can reach the device: it speaks MQTT (not an HTTP agent)."""
    uid = await session.scalar(select(Device.device_uid).where(Device.id == device_id))
    return uid is not None and not transport.is_agent(uid)


async def request(session: AsyncSession, user_id: int, device_id: int, command: CommandName) -> str:
    """A member asks the device to restart or answer a ping (owner and admin only); returns the id.
    MqttOnly for a device that speaks HTTP."""
    if command not in USER_COMMANDS:
        raise ValueError(f"not a user command: {command}")
    await authorize(session, user_id, device_id, Action.CONFIGURE)
    command_id = await queue(session, device_id, command, requested_by=user_id)
    await session.commit()
    return command_id


async def result(session: AsyncSession, command_id: str) -> CommandResult | None:
    """The device's answer to a command, None while there is none."""
    row = await session.get(DeviceCommand, command_id, populate_existing=True)
    if row is None or row.result_at is None or row.result_ok is None:
        return None
    error = (row.result or {}).get("error")
    return CommandResult(row.result_ok, str(error) if error else None, row.result_at, row.published_at)


# ---- the processor's side ---------------------------------------------------------------------------------

# Claimed in one statement (SKIP LOCKED): with several processors, each command is published by one of them.
_CLAIM = text(
    """
    UPDATE device_commands AS c SET published_at = :now
    FROM devices AS d
    WHERE c.device_id = d.id AND c.id IN (
        SELECT id FROM device_commands
        WHERE published_at IS NULL AND created_at > :fresh_after
        ORDER BY created_at
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    RETURNING c.id, d.device_uid, c.command, c.args, c.created_at
    """
)


async def claim_due(
    session: AsyncSession, now: datetime, ttl: timedelta, limit: int = 500
) -> list[OutgoingCommand]:
    """Mark unpublished commands younger than `ttl` as published and return them, oldest first; commits.

    Claiming before publishing makes a command at-most-once: if the processor dies in between, the command
    is lost (and the user sees "no answer"), never executed twice.
    """
    rows = await session.execute(_CLAIM, {"now": now, "fresh_after": now - ttl, "limit": limit})
    claimed = [OutgoingCommand(row.id, row.device_uid, row.command, row.args, row.created_at) for row in rows]
    await session.commit()
    return sorted(claimed, key=lambda command: command.created_at)


async def record_result(
    session: AsyncSession,
    device_id: int,
    command_id: str,
    ok: bool,
    details: dict[str, Any],
    *,
    now: datetime,
) -> bool:
    """Store the device's answer (the first one counts); False for an unknown command or another device's."""
    stored = await session.execute(
        update(DeviceCommand)
        .where(
            DeviceCommand.id == command_id,
            DeviceCommand.device_id == device_id,
            DeviceCommand.result_at.is_(None),
        )
        .values(result_ok=ok, result=details, result_at=now)
    )
    return bool(stored.rowcount)  # type: ignore[attr-defined]
