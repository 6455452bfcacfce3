"""A conversation's draft (FSM data) confirmed by a button: taken once, and only by the button of this
very draft; a button left from an earlier draft gets "stale" and changes nothing."""

from __future__ import annotations

import secrets
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.texts import Translator


def new_draft() -> str:
    """The token a confirmation button carries (its callback data) and the FSM data keeps as `draft`."""
    return secrets.token_hex(4)


async def confirmed(
    callback: CallbackQuery, state: FSMContext, draft: str, t: Translator
) -> dict[str, Any] | None:
    """The draft's data, the conversation ended; None (the caller is done) for another draft's button."""
    data = await state.get_data()
    if data.get("draft") != draft:
        await callback.answer(t("stale-button"), show_alert=True)
        return None
    # Cleared before anything else is awaited: a second press finds no draft.
    await state.clear()
    return data
