"""/admin: the dashboard, refreshed in place by its button."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.admin import AdminOpen, AdminView
from bot.keyboards import admin as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.views.admin import dashboard_text
from core.models import User
from core.services.admin.dashboard import RevenueSource, dashboard

router = Router(name=__name__)


@router.message(Command("admin"))
@router.callback_query(AdminOpen.filter(F.view == AdminView.DASHBOARD))
async def show_dashboard(
    event: Message | CallbackQuery,
    *,
    session: AsyncSession,
    user: User,
    t: Translator,
    revenue: RevenueSource | None = None,
) -> None:
    """A new dashboard for /admin; the same message brought up to date for its 🔄 button."""
    now = datetime.now(UTC)
    board = await dashboard(session, now, user.timezone, revenue)
    text, markup = dashboard_text(t, board, now, user.timezone), keyboards.dashboard(t)
    if isinstance(event, CallbackQuery):
        await show(event, text, markup)
        await event.answer()
    else:
        await event.answer(text, reply_markup=markup)
