"""Keyboards of /admin, /users and /all_devices."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.admin import AdminBlock, AdminDevice, AdminOpen, AdminSearch, AdminUser, AdminView
from bot.texts import Translator
from bot.views.admin import device_button, user_button
from core.services.admin.devices import DeviceCard, DeviceLine
from core.services.admin.search import Page
from core.services.admin.users import UserCard, UserLine


def dashboard(t: Translator) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    keyboard.button(text=t("admin-button-refresh"), callback_data=AdminOpen(view=AdminView.DASHBOARD))
    keyboard.button(text=t("admin-button-users"), callback_data=AdminOpen(view=AdminView.USERS))
    keyboard.button(text=t("admin-button-devices"), callback_data=AdminOpen(view=AdminView.DEVICES))
    keyboard.adjust(1, 2)
    return keyboard.as_markup()


def _listing(
    t: Translator,
    view: AdminView,
    entries: list[tuple[str, CallbackData]],
    *,
    number: int,
    pages: int,
    query: str,
) -> InlineKeyboardMarkup:
    """One button per entry, then « » (as far as there are pages), Search and Dashboard."""
    keyboard = InlineKeyboardBuilder()
    for text, data in entries:
        keyboard.button(text=text, callback_data=data)
    moves = []
    if number > 0:
        moves.append((t("admin-button-previous"), number - 1))
    if number + 1 < pages:
        moves.append((t("admin-button-next"), number + 1))
    for text, target in moves:
        keyboard.button(text=text, callback_data=AdminOpen(view=view, page=target, query=query))
    keyboard.button(text=t("admin-button-search"), callback_data=AdminSearch(view=view))
    keyboard.button(text=t("admin-button-dashboard"), callback_data=AdminOpen(view=AdminView.DASHBOARD))
    keyboard.adjust(*([1] * len(entries)), *([len(moves)] if moves else []), 2)
    return keyboard.as_markup()


def user_list(t: Translator, page: Page[UserLine], query: str) -> InlineKeyboardMarkup:
    entries: list[tuple[str, CallbackData]] = [
        (user_button(user), AdminUser(user_id=user.id)) for user in page.items
    ]
    return _listing(t, AdminView.USERS, entries, number=page.number, pages=page.pages, query=query)


def device_list(t: Translator, page: Page[DeviceLine], query: str) -> InlineKeyboardMarkup:
    entries: list[tuple[str, CallbackData]] = [
        (device_button(device), AdminDevice(device_id=device.id)) for device in page.items
    ]
    return _listing(t, AdminView.DEVICES, entries, number=page.number, pages=page.pages, query=query)


def user_card(t: Translator, card: UserCard) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    blocked = card.user.blocked
    keyboard.button(
        text=t("admin-button-unblock") if blocked else t("admin-button-block"),
        callback_data=AdminBlock(user_id=card.user.id, blocked=not blocked),
    )
    for membership in card.memberships:
        keyboard.button(
            text=f"📟 {membership.device_name}", callback_data=AdminDevice(device_id=membership.device_id)
        )
    keyboard.button(text=t("admin-button-users"), callback_data=AdminOpen(view=AdminView.USERS))
    keyboard.adjust(1)
    return keyboard.as_markup()


def device_card(t: Translator, card: DeviceCard) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    for member in card.members:
        keyboard.button(text=f"👤 {member.name}", callback_data=AdminUser(user_id=member.user_id))
    keyboard.button(text=t("admin-button-devices"), callback_data=AdminOpen(view=AdminView.DEVICES))
    keyboard.adjust(1)
    return keyboard.as_markup()
