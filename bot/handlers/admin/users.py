"""/users: every user, paged and searchable; a user's card with their devices; block and unblock."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.admin import AdminBlock, AdminOpen, AdminUser, AdminView
from bot.keyboards import admin as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.views.admin import list_title, user_card_text
from core.models import User
from core.services.admin.search import clean_query
from core.services.admin.users import find_users, set_blocked, user_card

router = Router(name=__name__)


async def user_list(
    session: AsyncSession, t: Translator, query: str | None, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    words = clean_query(query)
    found = await find_users(session, words, page)
    return list_title(t, "admin-users-title", found, words), keyboards.user_list(t, found, words)


@router.message(Command("users"))
async def list_users(
    message: Message, command: CommandObject, *, session: AsyncSession, t: Translator
) -> None:
    text, markup = await user_list(session, t, command.args, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(AdminOpen.filter(F.view == AdminView.USERS))
async def users_page(
    callback: CallbackQuery, *, callback_data: AdminOpen, session: AsyncSession, t: Translator
) -> None:
    text, markup = await user_list(session, t, callback_data.query, callback_data.page)
    await show(callback, text, markup)
    await callback.answer()


async def _show_card(
    callback: CallbackQuery, session: AsyncSession, user: User, t: Translator, user_id: int
) -> bool:
    card = await user_card(session, user_id)
    if card is None:
        await callback.answer(t("admin-gone"), show_alert=True)
        return False
    now = datetime.now(UTC)
    await show(callback, user_card_text(t, card, now, user.timezone), keyboards.user_card(t, card))
    return True


@router.callback_query(AdminUser.filter())
async def open_user(
    callback: CallbackQuery, *, callback_data: AdminUser, session: AsyncSession, user: User, t: Translator
) -> None:
    if await _show_card(callback, session, user, t, callback_data.user_id):
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
