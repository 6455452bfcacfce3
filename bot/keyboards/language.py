"""Keyboard of /language: each language named in itself."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.language import LanguageChoice
from bot.texts import Catalogue


def languages(catalogue: Catalogue) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    for code in catalogue.languages:
        keyboard.button(text=catalogue[code]("language-name"), callback_data=LanguageChoice(language=code))
    return keyboard.as_markup()
