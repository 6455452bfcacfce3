"""/settings values typed as a reply: a prompt, then the next message, validated with a clear message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.settings import SettingsAction, SettingsOp
from bot.keyboards import settings as keyboards
from bot.texts import Translator
from bot.views import settings as views
from bot.workers.settings import announce
from core import catalogue
from core.models import User
from core.services import settings
from core.services.settings import Change, Level, SettingRefused

router = Router(name=__name__)

# A change made from a typed value: (session, user id, device id, the text) → what changed.
Changer = Callable[[AsyncSession, int, int, str], Awaitable[Change]]


class SettingsInput(StatesGroup):
    interval = State()
    level = State()
    night = State()
    timezone = State()


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
    low, high = catalogue.metric_range(current.device_type, rule.metric)
    await bot.send_message(user.telegram_id, views.level_prompt(t, rule, level is Level.CLEAR, low, high))
    await callback.answer()


@router.message(StateFilter(SettingsInput.interval), F.text)
async def interval_typed(message: Message, **data: Any) -> None:
    await _typed(
        message,
        data,
        lambda s, u, d, text: settings.set_report_interval(s, u, d, settings.parse_number(text)),
    )


@router.message(StateFilter(SettingsInput.night), F.text)
async def night_typed(message: Message, **data: Any) -> None:
    async def change(session: AsyncSession, user_id: int, device_id: int, text: str) -> Change:
        hours = None if text.strip().lower() in ("off", "-", "выкл") else settings.parse_hours(text)
        return await settings.set_night_mode(session, user_id, device_id, hours)

    await _typed(message, data, change)


@router.message(StateFilter(SettingsInput.level), F.text)
async def level_typed(message: Message, **data: Any) -> None:
    stored = await data["state"].get_data()

    async def change(session: AsyncSession, user_id: int, device_id: int, text: str) -> Change:
        value = settings.parse_number(text)
        level = Level(stored["level"])
        return await settings.set_rule_level(
            session, user_id, device_id, int(stored["rule_id"]), level=level, value=value
        )

    await _typed(message, data, change)


@router.message(StateFilter(SettingsInput.timezone), F.text)
async def timezone_typed(
    message: Message, *, state: FSMContext, session: AsyncSession, user: User, t: Translator
) -> None:
    device_id = int((await state.get_data())["device_id"])
    try:
        zone = await settings.set_timezone(session, user, message.text or "")
    except SettingRefused as refused:
        await message.answer(views.refusal(t, refused))
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
        await message.answer(t("settings-try-again", reason=views.refusal(t, refused)))
        return
    await state.clear()
    current = await settings.load(session, user.id, device_id)
    await announce(data["bot"], data["sessionmaker"], t, user=user, change=result, name=current.name)
