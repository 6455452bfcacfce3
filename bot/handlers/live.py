"""/live (the current device), /watch (all my devices), /stop: one message that edits itself with readings."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.texts import Catalogue, Translator
from bot.views.live import live_text
from bot.workers.live import refresh
from bot.workers.live.adoption import Adopter
from bot.workers.live.refresh import LiveView, current_devices
from core.models import User
from core.services import devices, live

router = Router(name=__name__)
_adopter = Adopter()


@router.startup()
async def adopt_views(bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], catalogue: Catalogue) -> None:
    _adopter.start(bot, sessionmaker, catalogue)


@router.shutdown()
async def give_views_up(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    await _adopter.stop()
    await refresh.give_up_all(sessionmaker)


@router.message(Command("live"))
async def live_current(
    message: Message,
    *,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    user: User,
    t: Translator,
    bot: Bot,
) -> None:
    if user.current_device_id is None:
        await message.answer(t("live-no-device"))
        return
    await _start(bot, session, sessionmaker, user, t, device_ids=[user.current_device_id])


@router.message(Command("watch"))
async def watch_all(
    message: Message,
    *,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    user: User,
    t: Translator,
    bot: Bot,
) -> None:
    mine = await devices.my_devices(session, user.id)
    if not mine:
        await message.answer(t("live-no-devices"))
        return
    await _start(bot, session, sessionmaker, user, t, device_ids=[device.id for device in mine])


@router.message(Command("stop"))
async def stop(message: Message, *, session: AsyncSession, user: User, t: Translator) -> None:
    # The view's own loop (in whichever bot replica runs it) sees its rows gone and marks the message ended.
    stopped = await live.stop(session, user.id, datetime.now(UTC))
    await message.answer(t("live-stopped") if stopped else t("live-nothing-to-stop"))


async def _start(
    bot: Bot,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    user: User,
    t: Translator,
    *,
    device_ids: list[int],
) -> None:
    started = await live.start(session, user.id, device_ids, datetime.now(UTC))
    shown = await current_devices(session, user.id, list(started.device_ids))
    sent = await bot.send_message(user.telegram_id, live_text(t, shown, started.expires_at, user.timezone))
    await live.attach(session, started.id, sent.chat.id, sent.message_id, datetime.now(UTC))
    view = LiveView(started.id, user.id, sent.chat.id, sent.message_id, started.expires_at, user.timezone)
    refresh.start_view(bot, sessionmaker, t, view, shown)
