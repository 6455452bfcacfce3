"""A user's card (opened from /users) with their devices and roles; block and unblock."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Router
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.admin import AdminBlock, AdminUser
from bot.keyboards import admin as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.views.admin import user_card_text
from core.models import User
from core.services.admin.users import set_blocked, user_card

router = Router(name=__name__)


async def _show_card(  # noqa: PLR0917 - the page travels with the rest
    callback: CallbackQuery, session: AsyncSession, user: User, t: Translator, user_id: int, page: int = 0
) -> bool:
    card = await user_card(session, user_id)
    if card is None:
        await callback.answer(t("admin-gone"), show_alert=True)
        return False
    now = datetime.now(UTC)
    await show(callback, user_card_text(t, card, now, user.timezone), keyboards.user_card(t, card, page))
    return True


@router.callback_query(AdminUser.filter())
async def open_user(
    callback: CallbackQuery, *, callback_data: AdminUser, session: AsyncSession, user: User, t: Translator
) -> None:
    if await _show_card(callback, session, user, t, callback_data.user_id, callback_data.page):
        await callback.answer()


@router.callback_query(AdminBlock.filter())
async def block_user(
    callback: CallbackQuery, *, callback_data: AdminBlock, session: AsyncSession, user: User, t: Translator
) -> None:
    if not await set_blocked(session, callback_data.user_id, callback_data.blocked, datetime.now(UTC)):
        await callback.answer(t("admin-gone"), show_alert=True)
        return
    await session.commit()
    if await _show_card(callback, session, user, t, callback_data.user_id):
        await callback.answer(t("admin-blocked" if callback_data.blocked else "admin-unblocked"))
