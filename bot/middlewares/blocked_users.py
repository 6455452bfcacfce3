"""An operator blocked this user: the bot ignores them (their devices keep reporting, notices still go)."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.middlewares.base import Data, Next
from core.models import User

logger = logging.getLogger(__name__)


class BlockedUsers(BaseMiddleware):
    """Drops the update of a blocked user before any handler; operators themselves are never blocked out."""

    async def __call__(self, handler: Next, event: TelegramObject, data: Data) -> Any:
        user: User | None = data.get("user")
        operators: frozenset[int] = data.get("operators", frozenset())
        if user is not None and user.blocked_at is not None and user.telegram_id not in operators:
            logger.info("update of a blocked user ignored user_id=%s", user.id)
            return None
        return await handler(event, data)
