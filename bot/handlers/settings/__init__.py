"""/settings (owner and admin): the screens and their buttons, and values typed as a reply."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.settings import screens, typed

router = Router(name=__name__)
router.include_routers(screens.router, typed.router)
