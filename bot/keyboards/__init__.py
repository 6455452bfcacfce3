"""Inline keyboards as pure functions of (translator, data), one module per feature: no database, no Bot.

Each is built with aiogram's `InlineKeyboardBuilder`: `button(text=…, callback_data=<typed CallbackData>)`
packs the data, `adjust(…)` lays the buttons out in rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder


def column(buttons: Iterable[tuple[str, CallbackData]]) -> InlineKeyboardMarkup:
    """(text, data) pairs as buttons, one a row: device pickers, confirmations."""
    keyboard = InlineKeyboardBuilder()
    for text, data in buttons:
        keyboard.button(text=text, callback_data=data)
    keyboard.adjust(1)
    return keyboard.as_markup()
