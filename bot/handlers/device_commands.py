"""Restart and ping from the device card (owner and admin): sent, then the device's answer or "no answer"."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callback_data.device_commands import DeviceCommandAction
from bot.texts import Translator
from bot.workers import waiting
from core.models import User
from core.services import commands, devices
from core.services.access import Action
from core.services.commands import CommandName, CommandResult

router = Router(name=__name__)


@router.callback_query(DeviceCommandAction.filter())
async def send_command(
    callback: CallbackQuery,
    *,
    callback_data: DeviceCommandAction,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    user: User,
    t: Translator,
    bot: Bot,
    command_ttl: timedelta,
) -> None:
    # The device has `command_ttl` (COMMAND_TTL_SECONDS) to answer: the processor never sends it later.
    device = await devices.device_summary(session, user.id, callback_data.device_id, Action.CONFIGURE)
    command_id = await commands.request(session, user.id, device.id, callback_data.command)
    await callback.answer()
    sent = await bot.send_message(
        user.telegram_id,
        t("device-command-sent", command=t(f"device-command-name-{callback_data.command}"), name=device.name),
    )
    waiting.spawn(
        _follow(
            bot,
            sessionmaker,
            t,
            where=(sent.chat.id, sent.message_id),
            command_id=command_id,
            command=callback_data.command,
            name=device.name,
            answer_within=command_ttl.total_seconds(),
        ),
        name=f"command-{command_id}",
    )


async def _follow(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    t: Translator,
    *,
    where: tuple[int, int],
    command_id: str,
    command: CommandName,
    name: str,
    answer_within: float,
) -> None:
    async def answered() -> CommandResult | None:
        async with sessionmaker() as session:
            return await commands.result(session, command_id)

    result = await waiting.poll(answered, answer_within)
    with contextlib.suppress(TelegramAPIError):  # deleted or blocked meanwhile: nobody to tell
        text = _outcome(t, result, command, name, answer_within)
        await bot.edit_message_text(text, chat_id=where[0], message_id=where[1])


def _outcome(
    t: Translator, result: CommandResult | None, command: CommandName, name: str, answer_within: float
) -> str:
    if result is None:
        return t("device-command-no-answer", name=name, seconds=int(answer_within))
    if not result.ok:
        return t("device-command-failed", name=name, error=result.error or "?")
    if command == CommandName.RESTART:
        return t("device-command-restarting", name=name)
    sent_at = result.published_at or result.answered_at
    seconds = max((result.answered_at - sent_at).total_seconds(), 0.0)
    return t("device-command-pong", name=name, seconds=f"{seconds:.1f}")
