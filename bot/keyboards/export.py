"""Buttons of /export: a device, then a period."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.export import ExportDevice, ExportPeriod, ExportPick
from bot.keyboards.paging import column_page
from bot.texts import Translator
from core.services.devices import DeviceSummary
from core.services.periods import Span

RECENT = (Span.H24, Span.D7, Span.D30)
MONTHS = (Span.THIS_MONTH, Span.LAST_MONTH)


def pick_device(t: Translator, devices: list[DeviceSummary], page: int = 0) -> InlineKeyboardMarkup:
    buttons = [(d.name, ExportDevice(device_id=d.id)) for d in devices]
    return column_page(t, buttons, page, lambda n: ExportPick(page=n))


def pick_period(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    for span in (*RECENT, *MONTHS):
        keyboard.button(
            text=t(f"history-span-{span}"), callback_data=ExportPeriod(device_id=device_id, span=span)
        )
    keyboard.adjust(len(RECENT), len(MONTHS))
    return keyboard.as_markup()
