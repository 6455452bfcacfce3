"""The keyboard of /digest: on or off, an hour earlier or later."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.digest import DigestChoice
from bot.texts import Translator


def digest_settings(t: Translator, enabled: bool, hour: int) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    switch = "digest-button-off" if enabled else "digest-button-on"
    keyboard.button(text=t(switch), callback_data=DigestChoice(enabled=not enabled, hour=hour))
    earlier, later = (hour - 1) % 24, (hour + 1) % 24
    keyboard.button(
        text=t("digest-button-earlier"), callback_data=DigestChoice(enabled=enabled, hour=earlier)
    )
    keyboard.button(text=t("digest-button-later"), callback_data=DigestChoice(enabled=enabled, hour=later))
    keyboard.adjust(1, 2)
    return keyboard.as_markup()
