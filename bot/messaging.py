"""Telling another user about something that concerns them (an accepted invitation, a revoked access)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import User
from core.services import users

logger = logging.getLogger(__name__)


async def tell(bot: Bot, session: AsyncSession, user: User, text: str) -> bool:
    """Send `text` to `user`; an unreachable user must not fail the action that concerns them."""
    if not user.is_active:
        return False
    try:
        await bot.send_message(user.telegram_id, text)
    except TelegramForbiddenError:
        logger.info("user blocked the bot telegram_id=%s", user.telegram_id)
        await users.mark_inactive(session, user.telegram_id)
        return False
    except TelegramBadRequest as error:
        logger.warning("cannot message user telegram_id=%s error=%s", user.telegram_id, error.message)
        return False
    return True
