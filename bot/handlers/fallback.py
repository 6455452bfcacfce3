"""Whatever no feature router took: stale or forged buttons, and text the bot cannot place."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.texts import Translator

router = Router(name=__name__)


@router.callback_query()
async def stale_button(callback: CallbackQuery, *, t: Translator) -> None:
    await callback.answer(t("stale-button"), show_alert=True)


@router.message()
async def not_understood(message: Message, *, t: Translator) -> None:
    await message.answer(t("not-understood"))
