"""Keyboards of /share: device choice, role choice, the invitation button, the members list."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.devices import DeviceAction, DeviceOp
from bot.callback_data.sharing import (
    MemberAction,
    MemberList,
    MemberOp,
    MemberPage,
    ShareDevice,
    ShareInvite,
    SharePick,
)
from bot.keyboards import column
from bot.keyboards.paging import add_moves, column_page, page_of
from bot.texts import Translator
from core.services.access import Role
from core.services.devices import DeviceSummary
from core.services.sharing import Member


def owned_devices(t: Translator, devices: list[DeviceSummary], page: int = 0) -> InlineKeyboardMarkup:
    buttons = [(d.name, ShareDevice(device_id=d.id)) for d in devices]
    return column_page(t, buttons, page, lambda n: SharePick(page=n))


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


def members(t: Translator, device_id: int, people: list[Member], page: int = 0) -> InlineKeyboardMarkup:
    """A row per member but the owner, a page of them: what the owner may do with them."""
    keyboard = InlineKeyboardBuilder()
    rows = []
    shown = page_of([member for member in people if member.role != Role.OWNER], page)
    for member in shown.items:
        actions = _member_actions(member.role)
        for op, key in actions:
            data = MemberAction(op=op, device_id=device_id, user_id=member.user_id)
            keyboard.button(text=t(key, member=member.name), callback_data=data)
        rows.append(len(actions))
    rows += add_moves(
        keyboard, t, shown.number, shown.pages, lambda n: MemberPage(device_id=device_id, page=n)
    )
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
