"""Buttons of /export: a device, then a period."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callback_data.export import ExportDevice, ExportPeriod
from bot.texts import Translator
from core.services.devices import DeviceSummary
from core.services.periods import Span

RECENT = (Span.H24, Span.D7, Span.D30)
MONTHS = (Span.THIS_MONTH, Span.LAST_MONTH)


def pick_device(devices: list[DeviceSummary]) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=d.name, callback_data=ExportDevice(device_id=d.id).pack())]
        for d in devices
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def pick_period(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    def button(span: Span) -> InlineKeyboardButton:
        data = ExportPeriod(device_id=device_id, span=span)
        return InlineKeyboardButton(text=t(f"history-span-{span}"), callback_data=data.pack())

    return InlineKeyboardMarkup(inline_keyboard=[[button(s) for s in RECENT], [button(s) for s in MONTHS]])
