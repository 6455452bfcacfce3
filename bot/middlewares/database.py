"""One database session per update; closing it rolls back whatever a failed handler left open."""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares.base import Data, Next


class DatabaseSession(BaseMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def __call__(self, handler: Next, event: TelegramObject, data: Data) -> Any:
        async with self._sessionmaker() as session:
            data["session"] = session
            return await handler(event, data)
