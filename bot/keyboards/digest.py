"""The keyboard of /digest: on or off, an hour earlier or later."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.callback_data.digest import DigestChoice
from bot.keyboards import button
from bot.texts import Translator


def digest_settings(t: Translator, enabled: bool, hour: int) -> InlineKeyboardMarkup:
    switch = (
        button(t("digest-button-off"), DigestChoice(enabled=False, hour=hour))
        if enabled
        else button(t("digest-button-on"), DigestChoice(enabled=True, hour=hour))
    )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [switch],
            [
                button(t("digest-button-earlier"), DigestChoice(enabled=enabled, hour=(hour - 1) % 24)),
                button(t("digest-button-later"), DigestChoice(enabled=enabled, hour=(hour + 1) % 24)),
            ],
        ]
    )
