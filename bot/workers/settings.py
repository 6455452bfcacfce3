"""After a settings change: "saved", or "sent — waiting for the device" edited to "applied" once confirmed.

The confirmation is the processor's record of the device's `config_applied` (device_configs.applied_version),
polled through bot.workers.waiting.
"""

from __future__ import annotations

import contextlib

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.keyboards import settings as keyboards
from bot.texts import Translator
from bot.workers import waiting
from core.models import User
from core.services import settings
from core.services.settings import Change

# How long "waiting for the device" waits before saying the device will get the setting when it is back.
CONFIRM_WITHIN = 60.0


async def announce(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    t: Translator,
    *,
    user: User,
    change: Change,
    name: str,
) -> None:
    """Saved, for a server-only change; else "sent — waiting", followed up until the device confirms."""
    markup = keyboards.back_to_settings(t, change.device_id)
    if change.version is None:
        await bot.send_message(user.telegram_id, t("settings-saved"), reply_markup=markup)
        return
    sent = await bot.send_message(user.telegram_id, t("settings-sent", name=name), reply_markup=markup)
    waiting.spawn(
        _follow_up(
            bot, sessionmaker, t, chat_id=sent.chat.id, message_id=sent.message_id, change=change, name=name
        ),
        name=f"confirm-config-{change.device_id}-{change.version}",
    )


async def _follow_up(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    t: Translator,
    *,
    chat_id: int,
    message_id: int,
    change: Change,
    name: str,
) -> None:
    version = change.version or 0

    async def confirmed() -> bool | None:
        async with sessionmaker() as session:
            return True if await settings.applied(session, change.device_id, version) else None

    done = await waiting.poll(confirmed, CONFIRM_WITHIN)
    text = t("settings-applied", name=name) if done else t("settings-not-confirmed", name=name)
    with contextlib.suppress(TelegramAPIError):  # deleted or blocked meanwhile: nobody to tell
        await bot.edit_message_text(
            text,
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=keyboards.back_to_settings(t, change.device_id),
        )
