"""/alerts: the user's alert history, paged, with unread ones marked and "mark all read"."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.alerts import AlertsPage, AlertsReadAll
from bot.keyboards.alerts import alerts_pager
from bot.replies import show
from bot.texts import Translator
from bot.views.alerts import alerts_page
from core.models import User
from core.services import alert_history

router = Router(name=__name__)


@router.message(Command("alerts"))
async def list_alerts(message: Message, *, session: AsyncSession, user: User, t: Translator) -> None:
    page = await alert_history.alert_page(session, user.id, 0)
    text = alerts_page(t, page, user.timezone, datetime.now(UTC))
    await message.answer(text, reply_markup=alerts_pager(t, page.number, page.pages, page.unread))


@router.callback_query(AlertsPage.filter())
async def turn_page(
    callback: CallbackQuery, *, callback_data: AlertsPage, session: AsyncSession, user: User, t: Translator
) -> None:
    # The page number is the client's; the query only ever looks among the caller's own alerts.
    await _show_page(callback, session, user, t, callback_data.page)
    await callback.answer()


@router.callback_query(AlertsReadAll.filter())
async def read_all(
    callback: CallbackQuery, *, callback_data: AlertsReadAll, session: AsyncSession, user: User, t: Translator
) -> None:
    await alert_history.mark_all_read(session, user.id)
    await _show_page(callback, session, user, t, callback_data.page)
    await callback.answer(t("alerts-all-read"))


async def _show_page(
    callback: CallbackQuery, session: AsyncSession, user: User, t: Translator, number: int
) -> None:
    page = await alert_history.alert_page(session, user.id, number)
    text = alerts_page(t, page, user.timezone, datetime.now(UTC))
    await show(callback, text, alerts_pager(t, page.number, page.pages, page.unread))
