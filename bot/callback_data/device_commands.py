"""Buttons of the device card's commands (restart, ping)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from core.services.commands import CommandName


class DeviceCommandAction(CallbackData, prefix="dcmd"):
    command: CommandName
    device_id: int
