"""Keyboards of /broadcast."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.broadcast import (
    AudienceKind,
    BroadcastAudience,
    BroadcastCancel,
    BroadcastDiscard,
    BroadcastSend,
)
from bot.texts import Translator


def audiences(t: Translator, device_types: list[str], billing: bool) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    keyboard.button(text=t("broadcast-audience-all"), callback_data=BroadcastAudience(kind=AudienceKind.ALL))
    for code in device_types:
        keyboard.button(
            text=t("broadcast-audience-type", type=code),
            callback_data=BroadcastAudience(kind=AudienceKind.TYPE, device_type=code),
        )
    if billing:
        keyboard.button(
            text=t("broadcast-audience-unpaid"), callback_data=BroadcastAudience(kind=AudienceKind.UNPAID)
        )
    keyboard.button(text=t("broadcast-button-discard"), callback_data=BroadcastDiscard())
    keyboard.adjust(1)
    return keyboard.as_markup()


def confirm(t: Translator, draft: str) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    keyboard.button(text=t("broadcast-button-send"), callback_data=BroadcastSend(draft=draft))
    keyboard.button(text=t("broadcast-button-discard"), callback_data=BroadcastDiscard())
    return keyboard.as_markup()


def under_way(t: Translator, broadcast_id: int) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    keyboard.button(
        text=t("broadcast-button-cancel"), callback_data=BroadcastCancel(broadcast_id=broadcast_id)
    )
    return keyboard.as_markup()
