"""Keeps each broadcast's progress message up to date (sent / failed / left, ETA) and reports its end once.

All it knows lives in PostgreSQL (core.services.broadcast), so a restarted bot picks up where the last one
stopped; with several bots, recording the end is one conditional UPDATE, so one of them reports it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.keyboards.broadcast import under_way
from bot.texts import Catalogue
from bot.views.broadcast import progress_text
from core.retry import DATABASE_ERRORS
from core.services import broadcast
from core.services.broadcast import Progress

logger = logging.getLogger(__name__)


class BroadcastProgress:
    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        catalogue: Catalogue,
        interval: float = 3.0,
    ) -> None:
        self._bot = bot
        self._sessions = sessionmaker
        self._catalogue = catalogue
        # Telegram allows about one edit a second per chat; every 3 s leaves room for the operator's clicks.
        self._interval = interval
        self._shown: dict[int, str] = {}

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except DATABASE_ERRORS as error:
                # Anything else is a bug: the supervisor logs it and restarts this loop.
                logger.warning("broadcast progress skipped error=%s", type(error).__name__)
            await asyncio.sleep(self._interval)

    async def tick(self) -> None:
        async with self._sessions() as session:
            under_way = await broadcast.in_progress(session)
        for broadcast_id in under_way:
            await self._update(broadcast_id)

    async def _update(self, broadcast_id: int) -> None:
        now = datetime.now(UTC)
        async with self._sessions() as session:
            ended = await broadcast.finish_if_done(session, broadcast_id, now)
            await session.commit()
            progress = await broadcast.progress(session, broadcast_id, now)
        if progress is None or progress.chat_id is None:
            return
        if ended:
            logger.info(
                "broadcast finished broadcast_id=%s sent=%s failed=%s",
                progress.id,
                progress.sent,
                progress.failed,
            )
            self._shown.pop(broadcast_id, None)
            await self._report(progress)
        else:
            await self._edit(progress)

    async def _edit(self, progress: Progress) -> None:
        t = self._catalogue[progress.language]
        text = progress_text(t, progress)
        if progress.message_id is None or self._shown.get(progress.id) == text:
            return
        try:
            await self._bot.edit_message_text(
                text,
                chat_id=progress.chat_id,
                message_id=progress.message_id,
                reply_markup=under_way(t, progress.id),
            )
            self._shown[progress.id] = text
        except TelegramBadRequest as error:
            if "message is not modified" not in error.message:
                logger.warning("broadcast progress not shown broadcast_id=%s error=%s", progress.id, error)
        except TelegramAPIError as error:
            logger.warning("broadcast progress not shown broadcast_id=%s error=%s", progress.id, error)

    async def _report(self, progress: Progress) -> None:
        """The progress message becomes the report (no Cancel any more), and the report arrives as a new
        message too, so the operator is notified."""
        assert progress.chat_id is not None
        t = self._catalogue[progress.language]
        text = progress_text(t, progress)
        try:
            if progress.message_id is not None:
                await self._bot.edit_message_text(
                    text, chat_id=progress.chat_id, message_id=progress.message_id
                )
            await self._bot.send_message(progress.chat_id, text)
        except TelegramAPIError as error:
            logger.warning("broadcast report not sent broadcast_id=%s error=%s", progress.id, error)
