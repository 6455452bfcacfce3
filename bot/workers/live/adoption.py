"""Live views whose bot process is gone (restarted, crashed) are taken over here and kept fresh again.

Every `ADOPT_EVERY` s each bot process claims the views nobody renewed lately (core.services.live decides
which, one process at a time) and edits their messages from then on: a restart does not freeze a /live.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import UTC, datetime

from aiogram import Bot
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.texts import Catalogue
from bot.workers.live.refresh import LiveView, current_devices, start_view
from core.models import User
from core.services import live
from core.supervisor import ALWAYS, Supervisor

log = logging.getLogger(__name__)

ADOPT_EVERY = 10.0


class Adopter:
    """Started and stopped with the dispatcher; a bug in a round is logged and the loop restarted."""

    def __init__(self) -> None:
        self._tasks = Supervisor("live_adoption")

    def start(self, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], catalogue: Catalogue) -> None:
        self._tasks.start(
            "live_adoption",
            functools.partial(self._run, bot, sessionmaker, catalogue),
            restarts=ALWAYS,  # views left unadopted only delay a refresh
        )

    async def stop(self) -> None:
        await self._tasks.stop()

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
