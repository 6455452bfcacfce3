"""Keyboards of /devices and the device card."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.device_commands import DeviceCommandAction
from bot.callback_data.devices import DeviceAction, DeviceOp, DevicePage
from bot.callback_data.ota import OtaUpdate
from bot.callback_data.report import ReportMonths
from bot.callback_data.sharing import MemberList, ShareDevice
from bot.keyboards import column
from bot.keyboards.paging import column_page
from bot.texts import Translator
from bot.views.readings import ONLINE_DOT
from core.services.access import Action, can
from core.services.commands import CommandName
from core.services.devices import DeviceSummary


def device_list(t: Translator, devices: list[DeviceSummary], page: int = 0) -> InlineKeyboardMarkup:
    buttons = [
        (f"{ONLINE_DOT[d.is_online]} {d.name}", DeviceAction(op=DeviceOp.OPEN, device_id=d.id))
        for d in devices
    ]
    return column_page(t, buttons, page, lambda n: DevicePage(page=n))


def device_card(t: Translator, device: DeviceSummary, update_to: str | None = None) -> InlineKeyboardMarkup:
    """Only the buttons the caller's role allows; the handlers check again anyway. `update_to`: a newer
    stable firmware the owner may update to."""
    keyboard = InlineKeyboardBuilder()
    rows: list[int] = []

    def action(key: str, op: DeviceOp) -> None:
        keyboard.button(text=t(key), callback_data=DeviceAction(op=op, device_id=device.id))

    if can(device.role, Action.CONFIGURE):
        action("devices-button-rename", DeviceOp.RENAME)
        action("devices-button-location", DeviceOp.LOCATION)
        rows.append(2)
        if not device.agent:  # commands travel over MQTT; the card says so for an agent
            restart = DeviceCommandAction(command=CommandName.RESTART, device_id=device.id)
            keyboard.button(text=t("device-command-button-restart"), callback_data=restart)
            ping = DeviceCommandAction(command=CommandName.PING, device_id=device.id)
            keyboard.button(text=t("device-command-button-ping"), callback_data=ping)
            rows.append(2)
    if device.notifications:
        action("devices-button-notifications-off", DeviceOp.NOTIFY_OFF)
    else:
        action("devices-button-notifications-on", DeviceOp.NOTIFY_ON)
    keyboard.button(text=t("report-button-open"), callback_data=ReportMonths(device_id=device.id))
    rows += [1, 1]
    if can(device.role, Action.SHARE):
        keyboard.button(text=t("devices-button-share"), callback_data=ShareDevice(device_id=device.id))
        keyboard.button(text=t("devices-button-members"), callback_data=MemberList(device_id=device.id))
        rows.append(2)
    if update_to and can(device.role, Action.UPDATE_FIRMWARE):
        keyboard.button(
            text=t("ota-button-update", version=update_to), callback_data=OtaUpdate(device_id=device.id)
        )
        rows.append(1)
    if can(device.role, Action.REMOVE):
        action("devices-button-remove", DeviceOp.REMOVE)
    elif can(device.role, Action.LEAVE):
        action("devices-button-leave", DeviceOp.LEAVE)
    keyboard.button(text=t("devices-button-list"), callback_data=DeviceAction(op=DeviceOp.LIST))
    keyboard.adjust(*rows, 1)
    return keyboard.as_markup()


def confirm(t: Translator, device_id: int, op: DeviceOp, label_key: str) -> InlineKeyboardMarkup:
    return column(
        [
            (t(label_key), DeviceAction(op=op, device_id=device_id)),
            (t("button-cancel"), DeviceAction(op=DeviceOp.OPEN, device_id=device_id)),
        ]
    )


def back_to_card(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    return column([(t("button-back"), DeviceAction(op=DeviceOp.OPEN, device_id=device_id))])
