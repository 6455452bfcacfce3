"""/add: pair a device by the code it shows, given with the command or in the next message."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.texts import Translator
from core.models import User
from core.services import pairing

router = Router(name=__name__)


class Pairing(StatesGroup):
    code = State()


@router.message(Command("add"))
async def add(
    message: Message,
    *,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    t: Translator,
) -> None:
    if not command.args:
        await state.set_state(Pairing.code)
        await message.answer(t("pairing-ask-code"))
        return
    await _claim(message, session, user, t, command.args)


@router.message(StateFilter(Pairing.code), F.text)
async def code_typed(
    message: Message, *, state: FSMContext, session: AsyncSession, user: User, t: Translator
) -> None:
    await state.clear()
    await _claim(message, session, user, t, message.text or "")


async def _claim(message: Message, session: AsyncSession, user: User, t: Translator, typed: str) -> None:
    # Refusals (wrong, expired, used, owned, too many) are PairingErrors: the error router words them.
    device = await pairing.claim_code(session, user, typed, datetime.now(UTC))
    await message.answer(t("pairing-success", name=device.name or device.device_uid))
