"""The keyboard of /select: the user's devices, the current one ticked."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.select import SelectDevice
from core.services.devices import DeviceSummary


def select_device(devices: list[DeviceSummary], current_id: int | None) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    for d in devices:
        keyboard.button(
            text=("✅ " if d.id == current_id else "") + d.name, callback_data=SelectDevice(device_id=d.id)
        )
    keyboard.adjust(1)
    return keyboard.as_markup()
