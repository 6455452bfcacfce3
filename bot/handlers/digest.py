"""/digest: the morning digest on or off, and its hour (the digests are queued by bot.jobs.digest)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.digest import DigestChoice
from bot.keyboards.digest import digest_settings
from bot.replies import show
from bot.texts import Translator
from core.models import User
from core.services import notification_prefs

router = Router(name=__name__)


@router.message(Command("digest"))
async def digest_menu(message: Message, *, user: User, t: Translator) -> None:
    await message.answer(
        _digest_text(t, user), reply_markup=digest_settings(t, user.digest_enabled, user.digest_hour)
    )


@router.callback_query(DigestChoice.filter())
async def digest_choice(
    callback: CallbackQuery, *, callback_data: DigestChoice, session: AsyncSession, user: User, t: Translator
) -> None:
    if not 0 <= callback_data.hour <= 23:
        await callback.answer(t("stale-button"), show_alert=True)
        return
    await notification_prefs.set_digest(session, user, callback_data.enabled, callback_data.hour)
    await show(callback, _digest_text(t, user), digest_settings(t, user.digest_enabled, user.digest_hour))
    await callback.answer()


def _digest_text(t: Translator, user: User) -> str:
    state = t("digest-state-on") if user.digest_enabled else t("digest-state-off")
    return t("digest-settings", state=state, hour=f"{user.digest_hour:02d}", timezone=user.timezone)
