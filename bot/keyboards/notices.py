"""The buttons under an alert notice: its /history chart, and "mute 1 h"."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.history import ALL_METRICS, HistoryView
from bot.callback_data.notices import MuteDevice
from bot.texts import Translator
from core.models import METRICS
from core.services.periods import Span


def notice_buttons(
    t: Translator, device_id: int, metric: str | None = None, *, mute: bool = True
) -> InlineKeyboardMarkup:
    """ "History" opens the /history chart of the last 6 hours (of the alert's metric); "Mute 1 h"."""
    chart = HistoryView(
        device_id=device_id, span=Span.H6, metric=metric if metric in METRICS else ALL_METRICS
    )
    keyboard = InlineKeyboardBuilder()
    keyboard.button(text=t("notice-button-history"), callback_data=chart)
    if mute:
        keyboard.button(text=t("notice-button-mute"), callback_data=MuteDevice(device_id=device_id))
    return keyboard.as_markup()
