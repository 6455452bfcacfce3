"""Operators' commands: /admin (dashboard), /users, /all_devices. Only ADMIN_USER_IDS get past the router's
filter; for anyone else these commands fall through to what an unknown command gets."""

from __future__ import annotations

from aiogram import Router

from bot.filters.operator import operators_only
from bot.handlers.admin import dashboard, devices, lists, search, users

router = operators_only(Router(name=__name__))
router.include_routers(dashboard.router, lists.router, users.router, devices.router, search.router)
