"""One /live or /watch message kept fresh: every `EDIT_EVERY` s its text is rebuilt and edited if it changed.

Polling the newest readings (one indexed query per view every 3 s) rather than LISTENing for new telemetry
was chosen because Telegram allows about one edit per 3 s anyway, so a notification could not make the view
fresher; polling adds nothing to the processor's hot path, needs no extra connection, loses nothing across
a database reconnect, and lets any bot replica stop a view: /stop deletes its rows, the loop sees that.
Each round also renews the view's lease, so a view whose process died is adopted by another (adoption).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.texts import Translator
from bot.views.live import ended_text, live_text
from core.services import devices, live, users
from core.services.devices import DeviceSummary

log = logging.getLogger(__name__)

EDIT_EVERY = 3.0

# The views this process keeps fresh, by live session id: given up together at shutdown.
_running: dict[str, asyncio.Task[None]] = {}


@dataclass(frozen=True, slots=True)
class LiveView:
    session_id: str
    user_id: int
    telegram_id: int
    message_id: int
    until: datetime
    timezone: str


def start_view(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    t: Translator,
    view: LiveView,
    shown: list[DeviceSummary],
    *,
    on_screen: bool = True,
) -> None:
    """Keep `view` fresh in the background; its message shows `shown` (or, adopted, something unknown)."""
    task = asyncio.create_task(
        keep_fresh(bot, sessionmaker, t, view, shown, on_screen=on_screen), name=f"live-{view.session_id}"
    )
    _running[view.session_id] = task
    task.add_done_callback(lambda done: _finished(view.session_id, done))


def _finished(session_id: str, task: asyncio.Task[None]) -> None:
    _running.pop(session_id, None)
    if not task.cancelled() and task.exception() is not None:
        log.error("live view failed session=%s", session_id, exc_info=task.exception())


async def give_up_all(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """At shutdown: stop editing, and hand the views over at once (the next process adopts them)."""
    tasks, ids = list(_running.values()), list(_running)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if ids:
        async with sessionmaker() as session:
            await live.release(session, ids)
        log.info("live views released count=%s", len(ids))


async def current_devices(session: AsyncSession, user_id: int, device_ids: list[int]) -> list[DeviceSummary]:
    wanted = set(device_ids)
    return [device for device in await devices.my_devices(session, user_id) if device.id in wanted]


async def keep_fresh(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    t: Translator,
    view: LiveView,
    last: list[DeviceSummary],
    *,
    on_screen: bool = True,
) -> None:
    """Edit the message until the view is stopped, replaced or expires, or the message/chat is gone."""
    # An adopted view's message shows whatever the previous process last wrote: edit it at the first round.
    shown = live_text(t, last, view.until, view.timezone) if on_screen else ""
    while True:
        await asyncio.sleep(EDIT_EVERY)
        async with sessionmaker() as session:
            watched = await live.renew(session, view.session_id, datetime.now(UTC))
            fresh = await current_devices(session, view.user_id, watched) if watched else last
        if not watched:
            await _end(bot, sessionmaker, t, view, fresh)
            return
        last = fresh
        text = live_text(t, fresh, view.until, view.timezone)
        if text == shown:
            continue
        if not await _edit(bot, sessionmaker, view, text):
            return
        shown = text


async def _edit(bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], view: LiveView, text: str) -> bool:
    """False when the view cannot go on (message deleted, bot blocked): its watch is released."""
    try:
        await bot.edit_message_text(text, chat_id=view.telegram_id, message_id=view.message_id)
        return True
    except TelegramForbiddenError:
        log.info("live view ends: bot blocked telegram_id=%s", view.telegram_id)
        async with sessionmaker() as session:
            await users.mark_inactive(session, view.telegram_id)
    except TelegramBadRequest as error:
        if "message is not modified" in error.message:
            return True
        log.info("live view ends telegram_id=%s error=%s", view.telegram_id, error.message)
    async with sessionmaker() as session:
        await live.stop(session, view.user_id, datetime.now(UTC), view.session_id)
    return False


async def _end(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    t: Translator,
    view: LiveView,
    last: list[DeviceSummary],
) -> None:
    async with sessionmaker() as session:
        # Expired rows are tidied away; a stop already removed them (and told the device).
        await live.stop(session, view.user_id, datetime.now(UTC), view.session_id)
    try:
        await bot.edit_message_text(
            ended_text(t, last, view.timezone, view.until),
            chat_id=view.telegram_id,
            message_id=view.message_id,
        )
    except (TelegramBadRequest, TelegramForbiddenError) as error:
        log.info("live view end not shown telegram_id=%s error=%s", view.telegram_id, error)
