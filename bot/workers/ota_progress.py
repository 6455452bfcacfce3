"""The owner's update progress in one self-editing message (SPEC 6): pending → downloading → installing →
success, or failed / rolled back with the device's error. Edited when the state a device reported changes;
after a restart each followed message is rendered once more (an unchanged text is no error)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.texts import Catalogue
from core.services.ota import updates

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


class OtaProgress:
    def __init__(
        self, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], catalogue: Catalogue
    ) -> None:
        self._bot = bot
        self._sessionmaker = sessionmaker
        self._catalogue = catalogue
        self._shown: dict[tuple[int, int], str] = {}

    async def run(self) -> None:
        while True:
            async with self._sessionmaker() as session:
                followed = await updates.followed(session, datetime.now(UTC))
            for item in followed:
                await self._render(item)
            await asyncio.sleep(POLL_SECONDS)

    async def _render(self, item: updates.Progress) -> None:
        key = (item.rollout_id, item.device_id)
        if self._shown.get(key) == item.state:
            return
        t = self._catalogue[item.language]
        text = t(
            f"ota-progress-{item.state}",
            device=item.device_name,
            version=item.version,
            error=item.error or "?",
        )
        try:
            await self._bot.edit_message_text(text, chat_id=item.chat_id, message_id=item.message_id)
        except TelegramAPIError as error:
            if "message is not modified" not in str(error):
                log.warning("ota progress not shown rollout=%s device=%s error=%r", *key, error)
        self._shown[key] = item.state
