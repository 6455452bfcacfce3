"""Keyboard of /language: each language named in itself."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callback_data.language import LanguageChoice
from bot.texts import Catalogue


def languages(catalogue: Catalogue) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=catalogue[code]("language-name"), callback_data=LanguageChoice(language=code).pack()
        )
        for code in catalogue.languages
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])
