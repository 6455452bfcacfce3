"""Waiting for what a user would observe: poll for the result with a generous deadline, never a bare sleep."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sandbox.botapi import BotMessage, TelegramUser

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], within: float = 20.0, interval: float = 0.05) -> T:
    """Poll `check` until it returns something truthy (and return it), or fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s; last result: {result!r}")
        await asyncio.sleep(interval)


async def until_text(user: TelegramUser, needle: str, within: float = 20.0) -> BotMessage:
    """The bot's next send or edit in this chat whose text contains `needle` (earlier ones are skipped)."""
    deadline = time.monotonic() + within
    seen: list[str | None] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{needle!r} not shown within {within} s; shown: {seen[-5:]}")
        try:
            message = await user.next_message(timeout=remaining)
        except TimeoutError:
            continue
        seen.append(message.text)
        if needle in (message.text or ""):
            return message
