"""Notices as the processor raises them, and what the delivery tests read back: outbox rows, sent texts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.services import notices
from sandbox.botapi import BotApiDouble
from sandbox.seed import Sessions, now


async def fan_out(sessions: Sessions, *items: notices.Notice, at: datetime | None = None) -> notices.FanOut:
    """What the processor does on a transition: alert rows, outbox rows and the NOTIFY, in one commit."""
    async with sessions() as session:
        result = await notices.fan_out(session, list(items), at or now())
        await session.commit()
    return result


def co2_high(device: int, value: float = 1500, since: datetime | None = None) -> notices.Notice:
    moment = since or now()
    details = {
        "metric": "co2",
        "direction": "above",
        "since": moment.isoformat(),
        "peak": value,
        "recovered": False,
    }
    return notices.Notice(device, "co2_high", value=value, threshold=1000, details=details)


def co2_normal(device: int, value: float = 850, lasted: int = 600, peak: float = 1500) -> notices.Notice:
    details: dict[str, Any] = {
        "metric": "co2",
        "direction": "above",
        "since": now().isoformat(),
        "peak": peak,
        "recovered": True,
        "duration_seconds": lasted,
    }
    return notices.Notice(device, "co2_normal", value=value, threshold=1000, details=details)


async def outbox_statuses(engine: AsyncEngine, user: int) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT status FROM notification_outbox WHERE user_id = :u ORDER BY id"), {"u": user}
        )
        return [row[0] for row in rows]


async def all_settled(engine: AsyncEngine, *users: int) -> bool:
    """Every outbox row of these users is sent or failed: nothing more will reach their chats."""
    for user in users:
        if any(status not in ("sent", "failed") for status in await outbox_statuses(engine, user)):
            return False
    return True


def delivered(tg: BotApiDouble, chat: int, after: int = 0) -> list[str]:
    """Texts of the messages Telegram accepted for this chat since call number `after` (429/403 excluded)."""
    return [
        str(call.params["text"])
        for call in tg.calls[after:]
        if call.method == "sendMessage" and int(call.params["chat_id"]) == chat and call.error is None
    ]
