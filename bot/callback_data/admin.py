"""Buttons of /admin, /users and /all_devices. Operators' buttons are claims too: handlers re-read rows."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class AdminView(StrEnum):
    DASHBOARD = "dash"
    USERS = "users"
    DEVICES = "devices"


class AdminOpen(CallbackData, prefix="adm"):
    """A list page (or the dashboard), with the search words it was made from (core.services.admin.search
    keeps them short enough for Telegram's 64-byte callback data)."""

    view: AdminView
    page: int = 0
    query: str = ""


class AdminSearch(CallbackData, prefix="adms"):
    view: AdminView


class AdminUser(CallbackData, prefix="admu"):
    user_id: int
    page: int = 0  # of the card's device buttons


class AdminBlock(CallbackData, prefix="admb"):
    # The wanted state, not a toggle: a replayed button cannot flip it back.
    user_id: int
    blocked: bool


class AdminDevice(CallbackData, prefix="admd"):
    device_id: int
    page: int = 0  # of the card's member buttons
