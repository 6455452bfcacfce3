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
        # Only a dialogue in progress (a state, read for every update by aiogram's FSM middleware) has
        # anything to clear: its data is set with its state and cleared with it. Clearing is two writes to
        # the storage (two round trips with Redis), which every command otherwise waited for.
        in_dialogue = data.get("raw_state") is not None
        if (
            state is not None
            and in_dialogue
            and isinstance(event, Message)
            and (event.text or "").startswith("/")
        ):
            await state.clear()
        return await handler(event, data)
