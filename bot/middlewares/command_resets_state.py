"""A new command abandons a half-finished dialogue (a rename, a code prompt)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject


class CommandResetsState(BaseMiddleware):
    """Without this, text typed long after an abandoned prompt would be taken as its answer."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        state: FSMContext | None = data.get("state")
        if isinstance(event, Message) and (event.text or "").startswith("/") and state is not None:
            await state.clear()
        return await handler(event, data)
