"""Buttons under a /history chart, and the device picker when there is no current device."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callback_data.history import ALL_METRICS, HistoryView
from bot.texts import Translator
from core.services.devices import DeviceSummary
from core.services.periods import Span

SPANS = (Span.H6, Span.H24, Span.D7, Span.D30)
# Metrics that get a button of their own (when the device has the sensor); VOC shows under "all".
METRIC_BUTTONS = ("co2", "temperature", "humidity", "pm25")
CHOSEN = "• "


def _button(text: str, data: HistoryView) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def chart(
    t: Translator, device_id: int, span: Span, metric: str, sensors: tuple[str, ...]
) -> InlineKeyboardMarkup:
    """Periods on the first row, metrics on the second; the shown ones marked."""
    periods = [
        _button(
            _mark(s == span) + t(f"history-span-{s}"), HistoryView(device_id=device_id, span=s, metric=metric)
        )
        for s in SPANS
    ]
    metrics = [ALL_METRICS, *(m for m in METRIC_BUTTONS if m in sensors)]
    choices = [
        _button(
            _mark(m == metric) + t(f"history-metric-{m}"),
            HistoryView(device_id=device_id, span=span, metric=m),
        )
        for m in metrics
    ]
    return InlineKeyboardMarkup(inline_keyboard=[periods, choices] if len(metrics) > 2 else [periods])


def pick_device(devices: list[DeviceSummary]) -> InlineKeyboardMarkup:
    rows = [[_button(d.name, HistoryView(device_id=d.id))] for d in devices]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _mark(chosen: bool) -> str:
    return CHOSEN if chosen else ""
