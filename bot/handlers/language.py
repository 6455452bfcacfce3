"""/language: Russian or English, whatever the Telegram client says."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.language import LanguageChoice
from bot.keyboards.language import languages
from bot.replies import show
from bot.texts import Catalogue, Translator
from core.models import User
from core.services import users

router = Router(name=__name__)


@router.message(Command("language"))
async def pick(message: Message, *, t: Translator, catalogue: Catalogue) -> None:
    await message.answer(t("language-pick"), reply_markup=languages(catalogue))


@router.callback_query(LanguageChoice.filter())
async def choose(
    callback: CallbackQuery,
    *,
    callback_data: LanguageChoice,
    session: AsyncSession,
    user: User,
    t: Translator,
    catalogue: Catalogue,
) -> None:
    if callback_data.language not in users.LANGUAGES:
        await callback.answer(t("stale-button"), show_alert=True)
        return
    await users.set_language(session, user, callback_data.language)
    await show(callback, catalogue[user.language]("language-set"))
    await callback.answer()
