"""/status: the current readings of all the user's devices in one message."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.texts import Translator
from bot.views.status import status_overview
from core.models import User
from core.services import devices

router = Router(name=__name__)


@router.message(Command("status"))
async def status(message: Message, *, session: AsyncSession, user: User, t: Translator) -> None:
    mine = await devices.my_devices(session, user.id)
    await message.answer(status_overview(t, mine, datetime.now(UTC), user.timezone))
