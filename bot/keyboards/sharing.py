"""Keyboards of /share: device choice, role choice, the invitation button, the members list."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callback_data.devices import DeviceAction, DeviceOp
from bot.callback_data.sharing import MemberAction, MemberList, MemberOp, ShareDevice, ShareInvite
from bot.texts import Translator
from core.services.access import Role
from core.services.devices import DeviceSummary
from core.services.sharing import Member


def _button(
    text: str, data: ShareDevice | ShareInvite | MemberList | MemberAction | DeviceAction
) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def owned_devices(devices: list[DeviceSummary]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(d.name, ShareDevice(device_id=d.id))] for d in devices]
    )


def roles(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t("share-button-admin"), ShareInvite(device_id=device_id, role=Role.ADMIN)),
                _button(t("share-button-viewer"), ShareInvite(device_id=device_id, role=Role.VIEWER)),
            ],
            [_button(t("share-button-members"), MemberList(device_id=device_id))],
            [_button(t("button-back"), DeviceAction(op=DeviceOp.OPEN, device_id=device_id))],
        ]
    )


def invitation(t: Translator, link: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t("share-button-open"), url=link)]]
    )


def members(t: Translator, device_id: int, people: list[Member]) -> InlineKeyboardMarkup:
    rows = [_member_row(t, device_id, member) for member in people if member.role != Role.OWNER]
    rows.append([_button(t("button-back"), DeviceAction(op=DeviceOp.OPEN, device_id=device_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _member_row(t: Translator, device_id: int, member: Member) -> list[InlineKeyboardButton]:
    def action(op: MemberOp, key: str) -> InlineKeyboardButton:
        return _button(
            t(key, member=member.name), MemberAction(op=op, device_id=device_id, user_id=member.user_id)
        )

    if member.role == Role.ADMIN:
        row = [
            action(MemberOp.MAKE_VIEWER, "share-button-make-viewer"),
            action(MemberOp.TRANSFER, "share-button-transfer"),
        ]
    else:
        row = [action(MemberOp.MAKE_ADMIN, "share-button-make-admin")]
    return [*row, action(MemberOp.REVOKE, "share-button-revoke")]


def confirm_transfer(t: Translator, device_id: int, user_id: int) -> InlineKeyboardMarkup:
    confirm = MemberAction(op=MemberOp.TRANSFER_CONFIRM, device_id=device_id, user_id=user_id)
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("share-button-confirm-transfer"), confirm)],
            [_button(t("button-cancel"), MemberList(device_id=device_id))],
        ]
    )
