"""Live views whose bot process is gone (restarted, crashed) are taken over here and kept fresh again.

Every `ADOPT_EVERY` s each bot process claims the views nobody renewed lately (core.services.live decides
which, one process at a time) and edits their messages from then on: a restart does not freeze a /live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from aiogram import Bot
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.live_view import LiveView, current_devices, start_view
from bot.texts import Catalogue
from core.models import User
from core.services import live

log = logging.getLogger(__name__)

ADOPT_EVERY = 10.0


class Adopter:
    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    def start(self, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], catalogue: Catalogue) -> None:
        self._task = asyncio.create_task(self._run(bot, sessionmaker, catalogue), name="live_adoption")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(
        self, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], catalogue: Catalogue
    ) -> None:
        while True:
            try:
                await self._adopt(bot, sessionmaker, catalogue)
            except (SQLAlchemyError, OSError) as error:  # the database is away: the next round tries again
                log.warning("live view adoption failed error=%r", error)
            await asyncio.sleep(ADOPT_EVERY)

    async def _adopt(
        self, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], catalogue: Catalogue
    ) -> None:
        async with sessionmaker() as session:
            orphans = await live.adopt_orphans(session, datetime.now(UTC))
        for orphan in orphans:
            async with sessionmaker() as session:
                user = await session.get(User, orphan.user_id)
                if user is None:
                    continue
                shown = await current_devices(session, user.id, list(orphan.device_ids))
            view = LiveView(
                orphan.id, user.id, orphan.chat_id, orphan.message_id, orphan.expires_at, user.timezone
            )
            start_view(bot, sessionmaker, catalogue[user.language], view, shown, on_screen=False)
            log.info("live view adopted session=%s telegram_id=%s", orphan.id, orphan.chat_id)
