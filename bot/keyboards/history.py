"""Buttons under a /history chart, and the device picker when there is no current device."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.history import ALL_METRICS, HistoryPick, HistoryView
from bot.keyboards.paging import column_page
from bot.texts import Translator
from core.services.devices import DeviceSummary
from core.services.periods import Span

SPANS = (Span.H6, Span.H24, Span.D7, Span.D30)
# Metrics that get a button of their own (when the device has the sensor); VOC shows under "all". A meter's
# power and consumption, a computer's CPU, memory and disk (SPEC 3a); their other metrics show under "all".
METRIC_BUTTONS = ("co2", "temperature", "humidity", "pm25", "power_w", "energy_kwh")
HOST_BUTTONS = ("cpu_percent", "mem_percent", "disk_percent")
CHOSEN = "• "


def chart(
    t: Translator, device_id: int, span: Span, metric: str, sensors: tuple[str, ...]
) -> InlineKeyboardMarkup:
    """Periods on the first row, metrics on the second; the shown ones marked."""
    keyboard = InlineKeyboardBuilder()
    for s in SPANS:
        text = _mark(s == span) + t(f"history-span-{s}")
        keyboard.button(text=text, callback_data=HistoryView(device_id=device_id, span=s, metric=metric))
    buttons = HOST_BUTTONS if "cpu_percent" in sensors else METRIC_BUTTONS
    metrics = [ALL_METRICS, *(m for m in buttons if m in sensors)]
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
