"""Keyboards of /alerts: newer, older, mark all read."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callback_data.alerts import AlertsPage, AlertsReadAll
from bot.texts import Translator


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def alerts_pager(t: Translator, page: int, pages: int, unread: int) -> InlineKeyboardMarkup | None:
    moves = []
    if page > 0:
        moves.append(_button(t("alerts-button-newer"), AlertsPage(page=page - 1)))
    if page + 1 < pages:
        moves.append(_button(t("alerts-button-older"), AlertsPage(page=page + 1)))
    rows = [moves] if moves else []
    if unread:
        rows.append([_button(t("alerts-button-read-all"), AlertsReadAll(page=page))])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
