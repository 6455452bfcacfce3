"""Keyboards of /share: device choice, role choice, the invitation button, the members list."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.devices import DeviceAction, DeviceOp
from bot.callback_data.sharing import MemberAction, MemberList, MemberOp, ShareDevice, ShareInvite
from bot.keyboards import column
from bot.texts import Translator
from core.services.access import Role
from core.services.devices import DeviceSummary
from core.services.sharing import Member


def owned_devices(devices: list[DeviceSummary]) -> InlineKeyboardMarkup:
    return column((d.name, ShareDevice(device_id=d.id)) for d in devices)


def roles(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    keyboard.button(
        text=t("share-button-admin"), callback_data=ShareInvite(device_id=device_id, role=Role.ADMIN)
    )
    keyboard.button(
        text=t("share-button-viewer"), callback_data=ShareInvite(device_id=device_id, role=Role.VIEWER)
    )
    keyboard.button(text=t("share-button-members"), callback_data=MemberList(device_id=device_id))
    _back_to_card(t, keyboard, device_id)
    keyboard.adjust(2, 1)
    return keyboard.as_markup()


def invitation(t: Translator, link: str) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    keyboard.button(text=t("share-button-open"), url=link)
    return keyboard.as_markup()


def members(t: Translator, device_id: int, people: list[Member]) -> InlineKeyboardMarkup:
    """A row per member but the owner: what the owner may do with them."""
    keyboard = InlineKeyboardBuilder()
    rows = []
    for member in people:
        if member.role == Role.OWNER:
            continue
        actions = _member_actions(member.role)
        for op, key in actions:
            data = MemberAction(op=op, device_id=device_id, user_id=member.user_id)
            keyboard.button(text=t(key, member=member.name), callback_data=data)
        rows.append(len(actions))
    _back_to_card(t, keyboard, device_id)
    keyboard.adjust(*rows, 1)
    return keyboard.as_markup()


def _member_actions(role: Role) -> list[tuple[MemberOp, str]]:
    if role == Role.ADMIN:
        actions = [
            (MemberOp.MAKE_VIEWER, "share-button-make-viewer"),
            (MemberOp.TRANSFER, "share-button-transfer"),
        ]
    else:
        actions = [(MemberOp.MAKE_ADMIN, "share-button-make-admin")]
    return [*actions, (MemberOp.REVOKE, "share-button-revoke")]


def confirm_transfer(t: Translator, device_id: int, user_id: int) -> InlineKeyboardMarkup:
    confirm = MemberAction(op=MemberOp.TRANSFER_CONFIRM, device_id=device_id, user_id=user_id)
    return column(
        [(t("share-button-confirm-transfer"), confirm), (t("button-cancel"), MemberList(device_id=device_id))]
    )


def _back_to_card(t: Translator, keyboard: InlineKeyboardBuilder, device_id: int) -> None:
    keyboard.button(text=t("button-back"), callback_data=DeviceAction(op=DeviceOp.OPEN, device_id=device_id))
