"""Buttons of /select: the device to make current."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class SelectPage(CallbackData, prefix="selp"):
    page: int


class SelectDevice(CallbackData, prefix="sel"):
    device_id: int
