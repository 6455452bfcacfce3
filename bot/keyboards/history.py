"""Buttons under a /history chart, and the device picker when there is no current device."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.history import ALL_METRICS, HistoryPick, HistoryView
from bot.keyboards.paging import column_page
from bot.texts import Translator
from core import catalogue
from core.services.devices import DeviceSummary
from core.services.periods import Span

SPANS = (Span.H6, Span.H24, Span.D7, Span.D30)
CHOSEN = "• "


def chart(t: Translator, device_id: int, span: Span, metric: str, device_type: str) -> InlineKeyboardMarkup:
    """Periods on the first row; on the second "all" and the metrics the device's catalogue type offers one
    by one (a single one gets no row: "all" shows it). The shown ones marked."""
    keyboard = InlineKeyboardBuilder()
    for s in SPANS:
        text = _mark(s == span) + t(f"history-span-{s}")
        keyboard.button(text=text, callback_data=HistoryView(device_id=device_id, span=s, metric=metric))
    metrics = [ALL_METRICS, *catalogue.device_type(device_type).history_buttons]
    if len(metrics) > 2:
        for m in metrics:
            text = _mark(m == metric) + t(f"history-metric-{m}")
            keyboard.button(text=text, callback_data=HistoryView(device_id=device_id, span=span, metric=m))
    keyboard.adjust(len(SPANS), len(metrics))
    return keyboard.as_markup()


def pick_device(t: Translator, devices: list[DeviceSummary], page: int = 0) -> InlineKeyboardMarkup:
    buttons = [(d.name, HistoryView(device_id=d.id)) for d in devices]
    return column_page(t, buttons, page, lambda n: HistoryPick(page=n))


def _mark(chosen: bool) -> str:
    return CHOSEN if chosen else ""
