"""How a handler answers: the pressed message replaced in place, or a message to another user."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import User
from core.services import users

logger = logging.getLogger(__name__)


async def show(callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the pressed message in place; one that can no longer be edited gets a fresh message instead."""
    message = callback.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            # Pressing the same button twice renders the same content: nothing to change, nothing to say.
            if "message is not modified" in error.message:
                return
    assert callback.bot is not None
    await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)


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
