"""/alerts (history, paged, read/unread), the buttons of alert notices (history, mute 1 h), and /digest."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.alerts import AlertsPage, AlertsReadAll, DigestChoice, NoticeAction, NoticeOp
from bot.keyboards.alerts import alerts_pager, digest_settings
from bot.replies import show
from bot.texts import Translator
from bot.views.alert_history import alerts_page
from bot.views.moments import local_moment
from bot.views.readings import reading_line
from core.models import User
from core.services import alert_history, devices, notification_prefs
from core.services.recent_readings import recent_readings

router = Router(name=__name__)


# ---- /alerts ---------------------------------------------------------------------------------------------


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


# ---- buttons under a notice ------------------------------------------------------------------------------


@router.callback_query(NoticeAction.filter(F.op == NoticeOp.HISTORY))
async def notice_history(
    callback: CallbackQuery, *, callback_data: NoticeAction, session: AsyncSession, user: User, t: Translator
) -> None:
    # A list of the last readings until the charts issue gives /history a chart to link to.
    device = await devices.device_summary(session, user.id, callback_data.device_id)
    readings = await recent_readings(session, user.id, device.id)
    now = datetime.now(UTC)
    if readings:
        lines = [t("notice-readings-title", device=device.name)]
        lines += [
            t("notice-readings-line", time=local_moment(r.ts, user.timezone, now), reading=reading_line(t, r))
            for r in readings
        ]
        text = "\n".join(lines)
    else:
        text = t("notice-readings-none", device=device.name)
    assert callback.bot is not None
    # A new message: the notice itself stays as it was, buttons and all.
    await callback.bot.send_message(user.telegram_id, text)
    await callback.answer()


@router.callback_query(NoticeAction.filter(F.op == NoticeOp.MUTE))
async def notice_mute(
    callback: CallbackQuery, *, callback_data: NoticeAction, session: AsyncSession, user: User, t: Translator
) -> None:
    device = await devices.device_summary(session, user.id, callback_data.device_id)
    now = datetime.now(UTC)
    until = await notification_prefs.mute(session, user.id, device.id, now)
    await callback.answer(
        t("notice-muted", device=device.name, until=local_moment(until, user.timezone, now)), show_alert=True
    )


# ---- /digest ---------------------------------------------------------------------------------------------


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
