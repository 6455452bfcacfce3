"""/history: a chart of the current device; its buttons redraw it in place for another period or metric."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from aiogram import Bot, Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, InputMediaPhoto, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.history import ALL_METRICS, HistoryPick, HistoryView
from bot.keyboards import history as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.workers.rendering.pool import HistoryJob, Renderer
from core import catalogue
from core.models import User
from core.services import devices, history, periods

logger = logging.getLogger(__name__)
router = Router(name=__name__)

FILE_NAME = "history.png"


@router.message(Command("history"))
async def show_history(
    message: Message, *, session: AsyncSession, user: User, t: Translator, renderer: Renderer, bot: Bot
) -> None:
    device_id = user.current_device_id
    if device_id is None:
        mine = await devices.my_devices(session, user.id)
        if len(mine) != 1:
            await message.answer(
                t("history-pick" if mine else "history-empty"), reply_markup=_picker(t, mine)
            )
            return
        device_id = mine[0].id
    # The current device is a stored choice: the link (and billing) is checked again all the same.
    device = await history.chartable_device(session, user.id, device_id)
    await bot.send_chat_action(user.telegram_id, ChatAction.UPLOAD_PHOTO)
    png, caption, markup = await _chart(
        session, user, t, renderer, device=device, view=HistoryView(device_id=device.id)
    )
    await message.answer_photo(BufferedInputFile(png, FILE_NAME), caption=caption, reply_markup=markup)


@router.callback_query(HistoryPick.filter())
async def picker_page(
    callback: CallbackQuery, *, callback_data: HistoryPick, session: AsyncSession, user: User, t: Translator
) -> None:
    mine = await devices.my_devices(session, user.id)
    await show(callback, t("history-pick" if mine else "history-empty"), _picker(t, mine, callback_data.page))
    await callback.answer()


@router.callback_query(HistoryView.filter())
async def switch_view(
    callback: CallbackQuery,
    *,
    callback_data: HistoryView,
    session: AsyncSession,
    user: User,
    t: Translator,
    renderer: Renderer,
    bot: Bot,
) -> None:
    # The device id in the button is a claim: the caller's link (and billing) is checked every time.
    device = await history.chartable_device(session, user.id, callback_data.device_id)
    # Answered now, not after drawing: in a queue of charts the answer could come too late for Telegram.
    await callback.answer()
    png, caption, markup = await _chart(session, user, t, renderer, device=device, view=callback_data)
    photo = BufferedInputFile(png, FILE_NAME)
    message = callback.message
    if isinstance(message, Message) and message.photo:
        await _replace(message, InputMediaPhoto(media=photo, caption=caption), markup)
    else:
        # Pressed in the device picker (a text message): a photo cannot replace text, so it comes anew.
        await bot.send_photo(user.telegram_id, photo, caption=caption, reply_markup=markup)


async def _chart(
    session: AsyncSession,
    user: User,
    t: Translator,
    renderer: Renderer,
    *,
    device: devices.DeviceSummary,
    view: HistoryView,
) -> tuple[bytes, str, InlineKeyboardMarkup]:
    # Nothing is held while waiting in line: the user's lookup left a transaction (and a connection) open.
    await session.commit()
    # Everything the picture depends on. Who may see it is not among them: the callers decided that
    # (history.chartable_device) before the cache is consulted, so a cached picture never skips a check.
    asked = (device.id, view.span, view.metric, user.timezone, user.language)
    settings, png = await renderer.recent.get(
        asked, lambda: _admitted(session, user, renderer, device.id, view)
    )
    period = t(f"history-span-{view.span}")
    caption = t("history-caption", name=device.name, period=period, zone=user.timezone)
    return png, caption, keyboards.chart(t, device.id, view.span, view.metric, settings.device_type)


async def _admitted(
    session: AsyncSession, user: User, renderer: Renderer, device_id: int, view: HistoryView
) -> tuple[history.ChartSettings, bytes]:
    async with renderer.admission:
        return await _render(session, user, renderer, device_id, view)


async def _render(
    session: AsyncSession, user: User, renderer: Renderer, device_id: int, view: HistoryView
) -> tuple[history.ChartSettings, bytes]:
    started = time.monotonic()
    settings = await history.chart_settings(session, device_id)
    window = periods.window(view.span, datetime.now(UTC), user.timezone)
    shown = catalogue.device_type(settings.device_type).metrics
    metrics = shown if view.metric == ALL_METRICS else (view.metric,)
    data = await history.load(session, device_id, window.start, window.end, metrics, tz_name=user.timezone)
    # The connection goes back to the pool before the slow part.
    await session.commit()
    loaded = time.monotonic()
    png = await renderer.history(
        HistoryJob(data, settings, window.start, window.end, user.timezone, user.language)
    )
    logger.info(
        "history chart device_id=%s span=%s metric=%s hourly=%s points=%s load_ms=%.0f render_ms=%.0f",
        device_id,
        view.span,
        view.metric,
        data.hourly,
        data.points,
        1000 * (loaded - started),
        1000 * (time.monotonic() - loaded),
    )
    return settings, png


async def _replace(message: Message, media: InputMediaPhoto, markup: InlineKeyboardMarkup) -> None:
    try:
        await message.edit_media(media, reply_markup=markup)
    except TelegramBadRequest as error:
        # The same button twice within the same minute draws the same picture: nothing to change.
        if "message is not modified" not in error.message:
            raise


def _picker(t: Translator, mine: list[devices.DeviceSummary], page: int = 0) -> InlineKeyboardMarkup | None:
    return keyboards.pick_device(t, mine, page) if mine else None
