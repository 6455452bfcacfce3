"""/admin: the dashboard, refreshed in place by its button."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.admin import AdminOpen, AdminView
from bot.keyboards import admin as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.views.admin import dashboard_text
from core.models import User
from core.services.admin.dashboard import RevenueSource, dashboard

router = Router(name=__name__)


async def _dashboard(
    session: AsyncSession, user: User, t: Translator, revenue: RevenueSource | None
) -> tuple[str, InlineKeyboardMarkup]:
    now = datetime.now(UTC)
    board = await dashboard(session, now, user.timezone, revenue)
    return dashboard_text(t, board, now, user.timezone), keyboards.dashboard(t)


@router.message(Command("admin"))
async def open_dashboard(
    message: Message,
    *,
    session: AsyncSession,
    user: User,
    t: Translator,
    revenue: RevenueSource | None = None,
) -> None:
    text, markup = await _dashboard(session, user, t, revenue)
    await message.answer(text, reply_markup=markup)


@router.callback_query(AdminOpen.filter(F.view == AdminView.DASHBOARD))
async def refresh_dashboard(
    callback: CallbackQuery,
    *,
    session: AsyncSession,
    user: User,
    t: Translator,
    revenue: RevenueSource | None = None,
) -> None:
    text, markup = await _dashboard(session, user, t, revenue)
    await show(callback, text, markup)
    await callback.answer()
