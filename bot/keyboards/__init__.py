"""Inline keyboards as pure functions of (translator, data), one module per feature: no database, no Bot."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    """One inline button that sends `data` back when pressed."""
    return InlineKeyboardButton(text=text, callback_data=data.pack())
