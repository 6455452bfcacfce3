"""Test-side setup through the same doors the product uses: offer_code for devices, SQL for telemetry."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.models import Telemetry
from core.services.pairing import offer_code
from sandbox.botapi import BotMessage, TelegramUser


def now() -> datetime:
    return datetime.now(UTC)


async def new_device(
    sessionmaker: async_sessionmaker[AsyncSession], device_type: str = "co2", at: datetime | None = None
) -> tuple[str, str]:
    """A device asking to be paired, as the processor records it: (uid, pairing code)."""
    uid = f"test-{secrets.token_hex(6)}"
    async with sessionmaker() as session:
        offer = await offer_code(session, uid, device_type, "2.0.1", at or now())
    assert offer is not None
    return uid, offer.code


async def pair(
    user: TelegramUser, sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> int:
    """Pair a fresh device to `user` through /add; returns its id."""
    uid, code = await new_device(sessionmaker)
    user.send(f"/add {code}")
    reply = await user.next_message()
    assert "Paired" in (reply.text or "") or "Привязано" in (reply.text or ""), reply.text
    return await device_id(engine, uid)


async def fetch(engine: AsyncEngine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(sql), params)]


async def execute(engine: AsyncEngine, sql: str, **params: Any) -> None:
    async with engine.begin() as connection:
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


async def add_reading(engine: AsyncEngine, device: int, ts: datetime, **metrics: float) -> None:
    """A telemetry row as the processor stores it (into the day's partition)."""
    async with engine.begin() as connection:
        await connection.execute(select(func.telemetry_ensure_partition(ts.date())))
        await connection.execute(insert(Telemetry).values(device_id=device, ts=ts, **metrics))


async def set_status(engine: AsyncEngine, device: int, online: bool, last_seen: datetime | None) -> None:
    await execute(
        engine,
        "UPDATE devices SET is_online = :online, last_seen = :seen WHERE id = :device",
        online=online,
        seen=last_seen,
        device=device,
    )


async def open_card(user: TelegramUser, device_name: str) -> BotMessage:
    """/devices, then the device's button: the card."""
    user.send("/devices")
    await user.next_message()
    user.press(_button_for(user, device_name))
    card = await user.next_message()
    await user.next_answer()
    return card


def _button_for(user: TelegramUser, device_name: str) -> str:
    for message in reversed(list(user.double.chat_messages(user.id).values())):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"].endswith(" " + device_name):
                    return str(button["text"])
    raise LookupError(device_name)


async def invite(owner: TelegramUser, device_name: str, role_button: str) -> str:
    """The owner's /share flow up to the invitation; returns the deep-link parameter (inv_<token>)."""
    owner.send("/share")
    await owner.next_message()
    owner.press(device_name)
    await owner.next_message()
    await owner.next_answer()
    owner.press(role_button)
    invitation = await owner.next_message()
    await owner.next_answer()
    link = str(invitation.button("Accept the invitation")["url"])
    assert link in (invitation.text or "")
    return link.split("?start=", 1)[1]


async def accept(member: TelegramUser, start_parameter: str) -> str:
    member.send(f"/start {start_parameter}")
    return (await member.next_message()).text or ""
