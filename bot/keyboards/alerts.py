"""Keyboards of alert notices, /alerts and /digest."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callback_data.alerts import AlertsPage, AlertsReadAll, DigestChoice, NoticeAction, NoticeOp
from bot.texts import Translator


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def notice_buttons(t: Translator, device_id: int, *, mute: bool = True) -> InlineKeyboardMarkup:
    row = [_button(t("notice-button-history"), NoticeAction(op=NoticeOp.HISTORY, device_id=device_id))]
    if mute:
        row.append(_button(t("notice-button-mute"), NoticeAction(op=NoticeOp.MUTE, device_id=device_id)))
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
