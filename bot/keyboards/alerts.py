"""Keyboards of /alerts: newer, older, mark all read."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.alerts import AlertsPage, AlertsReadAll
from bot.texts import Translator


def alerts_pager(t: Translator, page: int, pages: int, unread: int) -> InlineKeyboardMarkup | None:
    keyboard = InlineKeyboardBuilder()
    moves = 0
    if page > 0:
        keyboard.button(text=t("alerts-button-newer"), callback_data=AlertsPage(page=page - 1))
        moves += 1
    if page + 1 < pages:
        keyboard.button(text=t("alerts-button-older"), callback_data=AlertsPage(page=page + 1))
        moves += 1
    if unread:
        keyboard.button(text=t("alerts-button-read-all"), callback_data=AlertsReadAll(page=page))
    if not moves and not unread:
        return None
    keyboard.adjust(*([moves] if moves else []), 1)
    return keyboard.as_markup()
