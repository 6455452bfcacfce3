"""/settings (owner and admin): report interval, alerts, alert levels, night mode, the user's time zone.

A change the device must apply is followed by "sent — waiting for the device", edited to "applied" once the
processor has recorded the device's confirmation (see bot.waiting).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import waiting
from bot.callback_data.control import SettingsAction, SettingsOp
from bot.keyboards import settings as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.views import settings as views
from core.models import User
from core.payloads import METRIC_RANGES
from core.services import settings
from core.services.access import AccessDenied
from core.services.settings import Change, Level, SettingRefused

router = Router(name=__name__)

# How long "waiting for the device" waits before saying the device will get the setting when it is back.
CONFIRM_WITHIN = 60.0


# A change made from a typed value: (session, user id, device id, the text) → what changed.
Changer = Callable[[AsyncSession, int, int, str], Awaitable[Change]]


class SettingsInput(StatesGroup):
    interval = State()
    level = State()
    night = State()
    timezone = State()


def refusal(t: Translator, refused: SettingRefused) -> str:
    details = {
        key: views.number(value) if isinstance(value, int | float) else value
        for key, value in refused.details.items()
    }
    return t(f"settings-refused-{refused.reason}", **details)


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
    await message.answer(
        views.overview(t, current, user.timezone), reply_markup=keyboards.overview(t, current)
    )


# ---- screens ---------------------------------------------------------------------------------------------


@router.callback_query(SettingsAction.filter(F.op == SettingsOp.MAIN))
async def main_screen(
    callback: CallbackQuery,
    *,
    callback_data: SettingsAction,
    session: AsyncSession,
    user: User,
    t: Translator,
) -> None:
    await _show_overview(callback, session, user, t, callback_data.device_id)
    await callback.answer()


@router.callback_query(SettingsAction.filter(F.op == SettingsOp.INTERVAL))
async def interval_screen(
    callback: CallbackQuery,
    *,
    callback_data: SettingsAction,
    session: AsyncSession,
    user: User,
    t: Translator,
) -> None:
    current = await settings.load(session, user.id, callback_data.device_id)
    text = t("settings-interval-title", interval=views.interval_text(t, current.report_interval))
    await show(callback, text, keyboards.intervals(t, current.device_id))
    await callback.answer()


@router.callback_query(SettingsAction.filter(F.op == SettingsOp.NIGHT))
async def night_screen(
    callback: CallbackQuery,
    *,
    callback_data: SettingsAction,
    session: AsyncSession,
    user: User,
    t: Translator,
) -> None:
    current = await settings.load(session, user.id, callback_data.device_id)
    text = t("settings-night-title", night=views.night_text(t, current.night_mode), timezone=user.timezone)
    await show(callback, text, keyboards.night(t, current.device_id))
    await callback.answer()


@router.callback_query(SettingsAction.filter(F.op == SettingsOp.LEVELS))
async def levels_screen(
    callback: CallbackQuery,
    *,
    callback_data: SettingsAction,
    session: AsyncSession,
    user: User,
    t: Translator,
) -> None:
    current = await settings.load(session, user.id, callback_data.device_id)
    await show(callback, views.levels(t, current), keyboards.levels(t, current))
    await callback.answer()


@router.callback_query(SettingsAction.filter(F.op == SettingsOp.TIMEZONE))
async def timezone_screen(
    callback: CallbackQuery,
    *,
    callback_data: SettingsAction,
    session: AsyncSession,
    user: User,
    t: Translator,
) -> None:
    current = await settings.load(session, user.id, callback_data.device_id)
    await show(
        callback,
        t("settings-timezone-title", timezone=user.timezone),
        keyboards.timezones(t, current.device_id),
    )
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
        await callback.answer(refusal(t, refused), show_alert=True)
        return
    name = await _show_overview(callback, session, user, t, device_id)
    await callback.answer()
    await _announce(bot, sessionmaker, t, user=user, change=change, name=name)


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


# ---- typed values: a prompt, then the user's next message ------------------------------------------------

_PROMPTS = {
    SettingsOp.INTERVAL_TYPE: (SettingsInput.interval, "settings-ask-interval"),
    SettingsOp.NIGHT_TYPE: (SettingsInput.night, "settings-ask-night"),
    SettingsOp.TIMEZONE_TYPE: (SettingsInput.timezone, "settings-ask-timezone"),
}


@router.callback_query(SettingsAction.filter(F.op.in_(set(_PROMPTS))))
async def ask_value(
    callback: CallbackQuery,
    *,
    callback_data: SettingsAction,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    t: Translator,
    bot: Bot,
) -> None:
    await settings.load(session, user.id, callback_data.device_id)  # owner or admin only
    wanted, key = _PROMPTS[callback_data.op]
    await state.set_state(wanted)
    await state.update_data(device_id=callback_data.device_id)
    low, high = settings.REPORT_INTERVAL_MIN, settings.REPORT_INTERVAL_MAX
    await bot.send_message(user.telegram_id, t(key, low=str(low), high=str(high)))
    await callback.answer()


@router.callback_query(SettingsAction.filter(F.op == SettingsOp.LEVEL_TYPE))
async def ask_level(
    callback: CallbackQuery,
    *,
    callback_data: SettingsAction,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    t: Translator,
    bot: Bot,
) -> None:
    current = await settings.load(session, user.id, callback_data.device_id)
    try:
        rule = current.rule(callback_data.rule_id)
        level = Level(callback_data.level)
    except (SettingRefused, ValueError):
        await callback.answer(t("stale-button"), show_alert=True)
        return
    await state.set_state(SettingsInput.level)
    await state.update_data(device_id=current.device_id, rule_id=rule.id, level=level.value)
    low, high = METRIC_RANGES[rule.metric]
    await bot.send_message(user.telegram_id, views.level_prompt(t, rule, level is Level.CLEAR, low, high))
    await callback.answer()


@router.message(SettingsInput.interval, F.text)
async def interval_typed(message: Message, **data: Any) -> None:
    await _typed(
        message,
        data,
        lambda s, u, d, text: settings.set_report_interval(s, u, d, settings.parse_number(text)),
    )


@router.message(SettingsInput.night, F.text)
async def night_typed(message: Message, **data: Any) -> None:
    async def change(session: AsyncSession, user_id: int, device_id: int, text: str) -> Change:
        hours = None if text.strip().lower() in ("off", "-", "выкл") else settings.parse_hours(text)
        return await settings.set_night_mode(session, user_id, device_id, hours)

    await _typed(message, data, change)


@router.message(SettingsInput.level, F.text)
async def level_typed(message: Message, **data: Any) -> None:
    stored = await data["state"].get_data()

    async def change(session: AsyncSession, user_id: int, device_id: int, text: str) -> Change:
        value = settings.parse_number(text)
        level = Level(stored["level"])
        return await settings.set_rule_level(
            session, user_id, device_id, int(stored["rule_id"]), level=level, value=value
        )

    await _typed(message, data, change)


@router.message(SettingsInput.timezone, F.text)
async def timezone_typed(
    message: Message, *, state: FSMContext, session: AsyncSession, user: User, t: Translator
) -> None:
    device_id = int((await state.get_data())["device_id"])
    try:
        zone = await settings.set_timezone(session, user, message.text or "")
    except SettingRefused as refused:
        await message.answer(refusal(t, refused))
        return
    await state.clear()
    await message.answer(
        t("settings-timezone-saved", timezone=zone), reply_markup=keyboards.back_to_settings(t, device_id)
    )


async def _typed(message: Message, data: dict[str, Any], change: Changer) -> None:
    """Apply a typed value; a wrong one is explained and the prompt stays open for another try."""
    state: FSMContext = data["state"]
    session: AsyncSession = data["session"]
    user: User = data["user"]
    t: Translator = data["t"]
    device_id = int((await state.get_data())["device_id"])
    try:
        # The role is checked again inside: it may have changed since the prompt.
        result = await change(session, user.id, device_id, message.text or "")
    except SettingRefused as refused:
        await message.answer(t("settings-try-again", reason=refusal(t, refused)))
        return
    await state.clear()
    current = await settings.load(session, user.id, device_id)
    await _announce(data["bot"], data["sessionmaker"], t, user=user, change=result, name=current.name)


# ---- helpers ---------------------------------------------------------------------------------------------


async def _show_overview(
    callback: CallbackQuery, session: AsyncSession, user: User, t: Translator, device_id: int
) -> str:
    current = await settings.load(session, user.id, device_id)
    await show(callback, views.overview(t, current, user.timezone), keyboards.overview(t, current))
    return current.name


async def _announce(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    t: Translator,
    *,
    user: User,
    change: Change,
    name: str,
) -> None:
    """Saved, for a server-only change; else "sent — waiting", followed up until the device confirms."""
    markup = keyboards.back_to_settings(t, change.device_id)
    if change.version is None:
        await bot.send_message(user.telegram_id, t("settings-saved"), reply_markup=markup)
        return
    sent = await bot.send_message(user.telegram_id, t("settings-sent", name=name), reply_markup=markup)
    waiting.spawn(
        _confirm(
            bot, sessionmaker, t, chat_id=sent.chat.id, message_id=sent.message_id, change=change, name=name
        ),
        name=f"confirm-config-{change.device_id}-{change.version}",
    )


async def _confirm(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    t: Translator,
    *,
    chat_id: int,
    message_id: int,
    change: Change,
    name: str,
) -> None:
    version = change.version or 0

    async def confirmed() -> bool | None:
        async with sessionmaker() as session:
            return True if await settings.applied(session, change.device_id, version) else None

    done = await waiting.poll(confirmed, CONFIRM_WITHIN)
    text = t("settings-applied", name=name) if done else t("settings-not-confirmed", name=name)
    with contextlib.suppress(TelegramAPIError):  # deleted or blocked meanwhile: nobody to tell
        await bot.edit_message_text(
            text,
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=keyboards.back_to_settings(t, change.device_id),
        )
