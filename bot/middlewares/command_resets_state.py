"""A new command abandons a half-finished dialogue (a rename, a code prompt)."""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject

from bot.middlewares.base import Data, Next


class CommandResetsState(BaseMiddleware):
    """Without this, text typed long after an abandoned prompt would be taken as its answer."""

    async def __call__(self, handler: Next, event: TelegramObject, data: Data) -> Any:
        state: FSMContext | None = data.get("state")
        if isinstance(event, Message) and (event.text or "").startswith("/") and state is not None:
            await state.clear()
        return await handler(event, data)
