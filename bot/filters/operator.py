"""Operators' routers answer only ADMIN_USER_IDS; anyone else falls through to what unknown commands get."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser


class Operator(Filter):
    """True for updates from a Telegram id in `operators` (the dispatcher's data, from ADMIN_USER_IDS)."""

    async def __call__(
        self,
        event: TelegramObject,
        event_from_user: TelegramUser | None = None,
        operators: frozenset[int] = frozenset(),
    ) -> bool:
        return event_from_user is not None and event_from_user.id in operators


def operators_only(router: Router) -> Router:
    """Filter the router's messages and button presses (a router-level filter, not a check per handler)."""
    router.message.filter(Operator())
    router.callback_query.filter(Operator())
    return router
