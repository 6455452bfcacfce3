"""/settings (owner and admin): report interval, alerts, alert levels, night mode, the user's time zone.

A change the device must apply is followed by "sent — waiting for the device", edited to "applied" once the
processor has recorded the device's confirmation (see bot.workers.settings);
values typed as a reply are handled in bot.handlers.settings.typed.
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callback_data.settings import SettingsAction, SettingsOp
from bot.keyboards import settings as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.views import settings as views
from bot.workers.settings import announce
from core.models import User
from core.services import settings
from core.services.access import AccessDenied
from core.services.settings import DeviceSettings, SettingRefused

router = Router(name=__name__)


@router.message(Command("settings"))
async def open_settings(message: Message, *, session: AsyncSession, user: User, t: Translator) -> None:
    if user.current_device_id is None:
        await message.answer(t("settings-no-device"))
        return
    try:
        current = await settings.load(session, user.id, user.current_device_id)
    except AccessDenied:
        await message.answer(t("settings-refused-role"))
        return
    text, markup = _overview_screen(t, current, user)
    await message.answer(text, reply_markup=markup)


# ---- screens ---------------------------------------------------------------------------------------------


Screen = tuple[str, InlineKeyboardMarkup]


def _overview_screen(t: Translator, current: DeviceSettings, user: User) -> Screen:
    return views.overview(t, current, user.timezone), keyboards.overview(t, current)


def _interval_screen(t: Translator, current: DeviceSettings, user: User) -> Screen:
    text = t("settings-interval-title", interval=views.interval_text(t, current.report_interval))
    return text, keyboards.intervals(t, current.device_id)


def _night_screen(t: Translator, current: DeviceSettings, user: User) -> Screen:
    text = t("settings-night-title", night=views.night_text(t, current.night_mode), timezone=user.timezone)
    return text, keyboards.night(t, current.device_id)


def _levels_screen(t: Translator, current: DeviceSettings, user: User) -> Screen:
    return views.levels(t, current), keyboards.levels(t, current)


def _timezone_screen(t: Translator, current: DeviceSettings, user: User) -> Screen:
    return t("settings-timezone-title", timezone=user.timezone), keyboards.timezones(t, current.device_id)


SCREENS: dict[SettingsOp, Callable[[Translator, DeviceSettings, User], Screen]] = {
    SettingsOp.MAIN: _overview_screen,
    SettingsOp.INTERVAL: _interval_screen,
    SettingsOp.NIGHT: _night_screen,
    SettingsOp.LEVELS: _levels_screen,
    SettingsOp.TIMEZONE: _timezone_screen,
}


@router.callback_query(SettingsAction.filter(F.op.in_(set(SCREENS))))
async def open_screen(
    callback: CallbackQuery,
    *,
    callback_data: SettingsAction,
    session: AsyncSession,
    user: User,
    t: Translator,
) -> None:
    # settings.load re-checks the caller's role on the device named by the (untrusted) callback data.
    current = await settings.load(session, user.id, callback_data.device_id)
    text, markup = SCREENS[callback_data.op](t, current, user)
    await show(callback, text, markup)
    await callback.answer()


# ---- changes by button -----------------------------------------------------------------------------------


@router.callback_query(
    SettingsAction.filter(
        F.op.in_({SettingsOp.INTERVAL_SET, SettingsOp.ALERTS_ON, SettingsOp.ALERTS_OFF})
        | F.op.in_({SettingsOp.NIGHT_SET, SettingsOp.NIGHT_OFF})
    )
)
async def change_by_button(
    callback: CallbackQuery,
    *,
    callback_data: SettingsAction,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    user: User,
    t: Translator,
    bot: Bot,
) -> None:
    device_id, op = callback_data.device_id, callback_data.op
    try:
        if op == SettingsOp.INTERVAL_SET:
            change = await settings.set_report_interval(session, user.id, device_id, callback_data.value)
        elif op in (SettingsOp.ALERTS_ON, SettingsOp.ALERTS_OFF):
            change = await settings.set_alerts(session, user.id, device_id, op == SettingsOp.ALERTS_ON)
        elif op == SettingsOp.NIGHT_SET:
            hours = (callback_data.value, callback_data.end)
            change = await settings.set_night_mode(session, user.id, device_id, hours)
        else:
            change = await settings.set_night_mode(session, user.id, device_id, None)
    except SettingRefused as refused:
        await callback.answer(views.refusal(t, refused), show_alert=True)
        return
    name = await _show_overview(callback, session, user, t, device_id)
    await callback.answer()
    await announce(bot, sessionmaker, t, user=user, change=change, name=name)


@router.callback_query(SettingsAction.filter(F.op == SettingsOp.TIMEZONE_SET))
async def choose_timezone(
    callback: CallbackQuery,
    *,
    callback_data: SettingsAction,
    session: AsyncSession,
    user: User,
    t: Translator,
) -> None:
    await settings.load(session, user.id, callback_data.device_id)  # the screen is the device's settings
    if not 0 <= callback_data.value < len(settings.COMMON_TIMEZONES):
        await callback.answer(t("stale-button"), show_alert=True)
        return
    await settings.set_timezone(session, user, settings.COMMON_TIMEZONES[callback_data.value])
    await _show_overview(callback, session, user, t, callback_data.device_id)
    await callback.answer(t("settings-timezone-saved", timezone=user.timezone))


# ---- helpers ---------------------------------------------------------------------------------------------


async def _show_overview(
    callback: CallbackQuery, session: AsyncSession, user: User, t: Translator, device_id: int
) -> str:
    current = await settings.load(session, user.id, device_id)
    await show(callback, *_overview_screen(t, current, user))
    return current.name
