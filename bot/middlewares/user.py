"""Loads the sender as a `User`, registering them on first contact (the registration is idempotent)."""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser
from sqlalchemy.ext.asyncio import AsyncSession

from bot.middlewares.base import Data, Next
from core.services import users


class UserContext(BaseMiddleware):
    """Puts `user` (core.models.User) into the handler's data for every update sent by a person."""

    def __init__(self, default_timezone: str) -> None:
        self._default_timezone = default_timezone

    async def __call__(self, handler: Next, event: TelegramObject, data: Data) -> Any:
        sender: TelegramUser | None = data.get("event_from_user")
        if sender is not None and not sender.is_bot:
            session: AsyncSession = data["session"]
            data["user"] = await users.register(session, _profile(sender), self._default_timezone)
        return await handler(event, data)


def _profile(sender: TelegramUser) -> users.Profile:
    return users.Profile(
        telegram_id=sender.id,
        username=sender.username,
        first_name=sender.first_name,
        language_code=sender.language_code,
    )
