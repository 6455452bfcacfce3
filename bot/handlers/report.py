"""The monthly report: from the device card, pick a month, receive a PDF.

Viewers may have it too: it shows nothing that /history, /export and /alerts do not already show them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, Router
from aiogram.enums import ChatAction
from aiogram.types import BufferedInputFile, CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.report import ReportMonth, ReportMonths
from bot.keyboards import report as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.workers.rendering.pool import Renderer
from core.models import User
from core.services import devices, periods, report

router = Router(name=__name__)

MONTHS_OFFERED = 6


@router.callback_query(ReportMonths.filter())
async def pick_month(
    callback: CallbackQuery, *, callback_data: ReportMonths, session: AsyncSession, user: User, t: Translator
) -> None:
    device = await devices.device_summary(session, user.id, callback_data.device_id)
    months = periods.recent_months(datetime.now(UTC), user.timezone, MONTHS_OFFERED)
    await show(callback, t("report-pick-month", name=device.name), keyboards.pick_month(t, device.id, months))
    await callback.answer()


@router.callback_query(ReportMonth.filter())
async def send_report(
    callback: CallbackQuery,
    *,
    callback_data: ReportMonth,
    session: AsyncSession,
    user: User,
    t: Translator,
    renderer: Renderer,
    bot: Bot,
) -> None:
    device = await devices.device_summary(session, user.id, callback_data.device_id)
    if not 1 <= callback_data.month <= 12 or not 2000 <= callback_data.year <= 2100:
        await callback.answer(t("report-bad-month"), show_alert=True)
        return
    await callback.answer()
    await bot.send_chat_action(user.telegram_id, ChatAction.UPLOAD_DOCUMENT)
    month = (callback_data.year, callback_data.month)
    await session.commit()  # nothing held while waiting in line (see Renderer.admission)
    async with renderer.admission:
        data = await report.monthly(session, device.id, month, user.timezone, datetime.now(UTC))
        # The connection goes back to the pool while the PDF is drawn.
        await session.commit()
        pdf = await renderer.report(data, user.language)
    label = keyboards.month_label(*month)
    name = f"report_{device.id}_{month[0]}{month[1]:02d}.pdf"
    caption = t("report-caption", name=device.name, month=label)
    await bot.send_document(user.telegram_id, BufferedInputFile(pdf, name), caption=caption)
