"""Telegram's sending limits as a small token bucket: about 30 messages/s overall and 1/s per chat.

Why: Telegram answers 429 Too Many Requests beyond roughly 30 messages a second per bot, and beyond about one
message a second in one chat; every 429 costs the whole wait it names. Pacing ourselves below those limits is
cheaper than learning them from errors, and a 429 that still arrives pauses only what it concerns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

GLOBAL_RATE = 30.0  # messages per second, all chats together
CHAT_INTERVAL = 1.0  # seconds between two messages to one chat


class SendLimiter:
    """`await limiter.acquire(chat_id)` returns when a message to that chat may go out.

    Callers to one chat are served in arrival order (one asyncio.Lock per chat is FIFO), so notices of
    one user keep their order.
    """

    def __init__(
        self,
        rate: float = GLOBAL_RATE,
        chat_interval: float = CHAT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._capacity = rate  # a full second's worth may go out in a burst
        self._tokens = rate
        self._chat_interval = chat_interval
        self._clock = clock
        self._refilled_at = clock()
        self._paused_until = 0.0
        self._chat_next: dict[int, float] = {}
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._global = asyncio.Lock()

    @property
    def chat_interval(self) -> float:
        return self._chat_interval

    def pause_chat(self, chat_id: int, seconds: float) -> None:
        """Telegram asked us (429) to leave this chat alone for `seconds`."""
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), self._clock() + seconds)

    def pause_all(self, seconds: float) -> None:
        """Telegram asked us (429) to stop sending altogether for `seconds`."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until this chat may receive again (0: now)."""
        return max(0.0, self._chat_next.get(chat_id, 0.0) - self._clock())

    async def acquire(self, chat_id: int) -> None:
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            # A moment in time, not an event, is awaited; a 429 meanwhile may push it further.
            while (wait := self.chat_wait(chat_id)) > 0:  # noqa: ASYNC110
                await asyncio.sleep(wait)
            await self._take_global_token()
            self._chat_next[chat_id] = self._clock() + self._chat_interval
        self._forget_idle_chats()

    async def _take_global_token(self) -> None:
        async with self._global:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._tokens = min(self._capacity, self._tokens + (now - self._refilled_at) * self._rate)
                self._refilled_at = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self._rate)

    def _forget_idle_chats(self) -> None:
        # Bounded memory: chats whose next slot has passed and nobody waits for carry no information.
        if len(self._chat_next) < 10_000:
            return
        now = self._clock()
        for chat_id in [c for c, at in self._chat_next.items() if at <= now]:
            lock = self._chat_locks.get(chat_id)
            if lock is None or not lock.locked():
                self._chat_next.pop(chat_id, None)
                self._chat_locks.pop(chat_id, None)
