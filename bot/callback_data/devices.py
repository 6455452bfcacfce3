"""Buttons of /devices and the device card."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class DeviceOp(StrEnum):
    LIST = "list"
    OPEN = "open"
    RENAME = "rename"
    LOCATION = "location"
    # Two explicit states instead of a toggle: a replayed button cannot flip the switch back.
    NOTIFY_ON = "notify_on"
    NOTIFY_OFF = "notify_off"
    REMOVE = "remove"
    REMOVE_CONFIRM = "remove_ok"
    LEAVE = "leave"
    LEAVE_CONFIRM = "leave_ok"


class DevicePage(CallbackData, prefix="devp"):
    """A page of /devices' buttons (bot.keyboards.paging)."""

    page: int


class DeviceAction(CallbackData, prefix="dev"):
    op: DeviceOp
    device_id: int = 0
