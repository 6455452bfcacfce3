"""Loads the sender as a `User`, registering them on first contact (the registration is idempotent)."""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser
from sqlalchemy.ext.asyncio import AsyncSession

from bot.middlewares.base import Data, Next
from core.retry import on_live_connection
from core.services import users


class UserContext(BaseMiddleware):
    """Puts `user` (core.models.User) into the handler's data for every update sent by a person."""

    def __init__(self, default_timezone: str) -> None:
        self._default_timezone = default_timezone

    async def __call__(self, handler: Next, event: TelegramObject, data: Data) -> Any:
        sender: TelegramUser | None = data.get("event_from_user")
        if sender is not None and not sender.is_bot:
            session: AsyncSession = data["session"]
            profile = _profile(sender)
            # The update's first statement: its sessions come without pre-ping (setup_middlewares), so a
            # pooled connection PostgreSQL dropped is found here and replaced.
            data["user"] = await on_live_connection(
                session, lambda: users.register(session, profile, self._default_timezone)
            )
        return await handler(event, data)


def _profile(sender: TelegramUser) -> users.Profile:
    return users.Profile(
        telegram_id=sender.id,
        username=sender.username,
        first_name=sender.first_name,
        language_code=sender.language_code,
    )
