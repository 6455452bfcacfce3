"""Keyboards of /admin, /users and /all_devices."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.admin import AdminBlock, AdminDevice, AdminOpen, AdminSearch, AdminUser, AdminView
from bot.keyboards.paging import add_moves, page_of
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
    moves = add_moves(keyboard, t, number, pages, lambda n: AdminOpen(view=view, page=n, query=query))
    keyboard.button(text=t("admin-button-search"), callback_data=AdminSearch(view=view))
    keyboard.button(text=t("admin-button-dashboard"), callback_data=AdminOpen(view=AdminView.DASHBOARD))
    keyboard.adjust(*([1] * len(entries)), *moves, 2)
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


def user_card(t: Translator, card: UserCard, page: int = 0) -> InlineKeyboardMarkup:
    """Block/Unblock, a page of the user's devices, « », back to /users."""
    keyboard = InlineKeyboardBuilder()
    blocked = card.user.blocked
    keyboard.button(
        text=t("admin-button-unblock") if blocked else t("admin-button-block"),
        callback_data=AdminBlock(user_id=card.user.id, blocked=not blocked),
    )
    shown = page_of(card.memberships, page)
    for membership in shown.items:
        keyboard.button(
            text=f"📟 {membership.device_name}", callback_data=AdminDevice(device_id=membership.device_id)
        )
    user_id = card.user.id
    moves = add_moves(keyboard, t, shown.number, shown.pages, lambda n: AdminUser(user_id=user_id, page=n))
    keyboard.button(text=t("admin-button-users"), callback_data=AdminOpen(view=AdminView.USERS))
    keyboard.adjust(*([1] * (1 + len(shown.items))), *moves, 1)
    return keyboard.as_markup()


def device_card(t: Translator, card: DeviceCard, page: int = 0) -> InlineKeyboardMarkup:
    """A page of the device's people (the owner first), « », back to /all_devices."""
    keyboard = InlineKeyboardBuilder()
    shown = page_of(card.members, page)
    for member in shown.items:
        keyboard.button(text=f"👤 {member.name}", callback_data=AdminUser(user_id=member.user_id))
    device_id = card.device.id
    moves = add_moves(
        keyboard, t, shown.number, shown.pages, lambda n: AdminDevice(device_id=device_id, page=n)
    )
    keyboard.button(text=t("admin-button-devices"), callback_data=AdminOpen(view=AdminView.DEVICES))
    keyboard.adjust(*([1] * len(shown.items)), *moves, 1)
    return keyboard.as_markup()
