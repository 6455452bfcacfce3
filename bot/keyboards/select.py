"""The keyboard of /select: the user's devices, the current one ticked."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.callback_data.select import SelectDevice, SelectPage
from bot.keyboards.paging import column_page
from bot.texts import Translator
from core.services.devices import DeviceSummary


def select_device(
    t: Translator, devices: list[DeviceSummary], current_id: int | None, page: int = 0
) -> InlineKeyboardMarkup:
    buttons = [
        (("✅ " if d.id == current_id else "") + d.name, SelectDevice(device_id=d.id)) for d in devices
    ]
    return column_page(t, buttons, page, lambda n: SelectPage(page=n))
