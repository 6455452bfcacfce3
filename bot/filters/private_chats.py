"""The bot talks in private chats only: readings, members and invitation links are personal."""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import Message


class PrivateChats(Filter):
    """True for a message in a private chat.

    A coroutine, not the magic filter `F.chat.type == ChatType.PRIVATE`: aiogram runs a synchronous filter
    (magic filters included) through `asyncio.to_thread`, so a dispatcher-level one cost every message a
    hop to a worker thread and back, ~1 ms of CPU and two more waits for a core (bench/status_findings.md).
    """

    async def __call__(self, message: Message) -> bool:
        return message.chat.type == ChatType.PRIVATE
