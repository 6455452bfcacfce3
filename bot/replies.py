"""Answering a button press by replacing the message it sits on."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


async def show(callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the pressed message in place; one that can no longer be edited gets a fresh message instead."""
    message = callback.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            # Pressing the same button twice renders the same content: nothing to change, nothing to say.
            if "message is not modified" in error.message:
                return
    assert callback.bot is not None
    await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)
