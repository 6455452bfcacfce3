"""The keyboard of /select: the user's devices, the current one ticked."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.callback_data.select import SelectDevice
from bot.keyboards import column
from core.services.devices import DeviceSummary


def select_device(devices: list[DeviceSummary], current_id: int | None) -> InlineKeyboardMarkup:
    return column(
        (("✅ " if d.id == current_id else "") + d.name, SelectDevice(device_id=d.id)) for d in devices
    )
