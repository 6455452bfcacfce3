"""Keyboards of /devices and the device card."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callback_data.device_commands import DeviceCommandAction
from bot.callback_data.devices import DeviceAction, DeviceOp
from bot.callback_data.report import ReportMonths
from bot.callback_data.sharing import MemberList, ShareDevice
from bot.texts import Translator
from bot.views.readings import ONLINE_DOT
from core.services.access import Action, can
from core.services.commands import CommandName
from core.services.devices import DeviceSummary


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def device_list(devices: list[DeviceSummary]) -> InlineKeyboardMarkup:
    rows = [
        [_button(f"{ONLINE_DOT[d.is_online]} {d.name}", DeviceAction(op=DeviceOp.OPEN, device_id=d.id))]
        for d in devices
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def device_card(t: Translator, device: DeviceSummary) -> InlineKeyboardMarkup:
    """Only the buttons the caller's role allows; the handlers check again anyway."""
    rows: list[list[InlineKeyboardButton]] = []
    if can(device.role, Action.CONFIGURE):
        rows.append(
            [
                _button(t("devices-button-rename"), DeviceAction(op=DeviceOp.RENAME, device_id=device.id)),
                _button(
                    t("devices-button-location"), DeviceAction(op=DeviceOp.LOCATION, device_id=device.id)
                ),
            ]
        )
        rows.append(
            [
                _button(
                    t("device-command-button-restart"),
                    DeviceCommandAction(command=CommandName.RESTART, device_id=device.id),
                ),
                _button(
                    t("device-command-button-ping"),
                    DeviceCommandAction(command=CommandName.PING, device_id=device.id),
                ),
            ]
        )
    rows.append([_notifications_button(t, device)])
    rows.append([_button(t("report-button-open"), ReportMonths(device_id=device.id))])
    if can(device.role, Action.SHARE):
        rows.append(
            [
                _button(t("devices-button-share"), ShareDevice(device_id=device.id)),
                _button(t("devices-button-members"), MemberList(device_id=device.id)),
            ]
        )
    if can(device.role, Action.REMOVE):
        rows.append(
            [_button(t("devices-button-remove"), DeviceAction(op=DeviceOp.REMOVE, device_id=device.id))]
        )
    elif can(device.role, Action.LEAVE):
        rows.append(
            [_button(t("devices-button-leave"), DeviceAction(op=DeviceOp.LEAVE, device_id=device.id))]
        )
    rows.append([_button(t("devices-button-list"), DeviceAction(op=DeviceOp.LIST))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _notifications_button(t: Translator, device: DeviceSummary) -> InlineKeyboardButton:
    if device.notifications:
        return _button(
            t("devices-button-notifications-off"), DeviceAction(op=DeviceOp.NOTIFY_OFF, device_id=device.id)
        )
    return _button(
        t("devices-button-notifications-on"), DeviceAction(op=DeviceOp.NOTIFY_ON, device_id=device.id)
    )


def confirm(t: Translator, device_id: int, op: DeviceOp, label_key: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t(label_key), DeviceAction(op=op, device_id=device_id))],
            [_button(t("button-cancel"), DeviceAction(op=DeviceOp.OPEN, device_id=device_id))],
        ]
    )


def back_to_card(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("button-back"), DeviceAction(op=DeviceOp.OPEN, device_id=device_id))]]
    )
