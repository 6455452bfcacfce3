"""Keyboards of alert notices, /alerts and /digest."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callback_data.alerts import AlertsPage, AlertsReadAll, DigestChoice, MuteDevice
from bot.callback_data.history import ALL_METRICS, HistoryView
from bot.texts import Translator
from core.models import METRICS
from core.services.periods import Span


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def notice_buttons(
    t: Translator, device_id: int, metric: str | None = None, *, mute: bool = True
) -> InlineKeyboardMarkup:
    """ "History" opens the /history chart of the last 6 hours (of the alert's metric); "Mute 1 h"."""
    chart = HistoryView(
        device_id=device_id, span=Span.H6, metric=metric if metric in METRICS else ALL_METRICS
    )
    row = [_button(t("notice-button-history"), chart)]
    if mute:
        row.append(_button(t("notice-button-mute"), MuteDevice(device_id=device_id)))
    return InlineKeyboardMarkup(inline_keyboard=[row])


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


def digest_settings(t: Translator, enabled: bool, hour: int) -> InlineKeyboardMarkup:
    switch = (
        _button(t("digest-button-off"), DigestChoice(enabled=False, hour=hour))
        if enabled
        else _button(t("digest-button-on"), DigestChoice(enabled=True, hour=hour))
    )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [switch],
            [
                _button(t("digest-button-earlier"), DigestChoice(enabled=enabled, hour=(hour - 1) % 24)),
                _button(t("digest-button-later"), DigestChoice(enabled=enabled, hour=(hour + 1) % 24)),
            ],
        ]
    )
