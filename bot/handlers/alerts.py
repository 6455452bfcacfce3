"""/alerts (history, paged, read/unread), "mute 1 h" under alert notices, and /digest.

The notices' other button, "history", is the /history chart's own (bot.handlers.history).
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.alerts import AlertsPage, AlertsReadAll, DigestChoice, MuteDevice
from bot.keyboards.alerts import alerts_pager, digest_settings
from bot.replies import show
from bot.texts import Translator
from bot.views.alert_history import alerts_page
from bot.views.moments import local_moment
from core.models import User
from core.services import alert_history, devices, notification_prefs

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


@router.callback_query(MuteDevice.filter())
async def notice_mute(
    callback: CallbackQuery, *, callback_data: MuteDevice, session: AsyncSession, user: User, t: Translator
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
