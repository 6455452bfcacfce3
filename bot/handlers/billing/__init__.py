"""/billing: the user's account and payments; /revenue and /refund for operators; YooKassa's notifications."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.billing import account, operators

router = Router(name=__name__)
router.include_routers(operators.router, account.router)
