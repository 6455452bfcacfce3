"""/start (idempotent: the user middleware has registered the sender already) and /help."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.texts import Translator
from core.models import User
from core.services import devices

router = Router(name=__name__)


@router.message(CommandStart())
async def start(message: Message, *, session: AsyncSession, user: User, t: Translator) -> None:
    name = user.first_name or user.username or ""
    owned = await devices.count(session, user.id)
    if owned:
        await message.answer(t("start-welcome-back", name=name, count=owned))
    else:
        await message.answer(t("start-welcome", name=name))


@router.message(Command("help"))
async def show_help(message: Message, *, t: Translator) -> None:
    await message.answer(t("help-text"))
