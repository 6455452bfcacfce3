"""Pictures drawn in the last minute, by what was asked: the same request again gets the same picture.

Twenty people opening the same device's week at once cost one database read and one drawing: a request
that finds the same picture being drawn waits for it instead of queueing a second one. A failed drawing
is forgotten at once, so the next request tries again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

TTL_S = 60.0
# A bound on memory (a chart is ~200 kB): far more distinct requests per minute than one bot draws.
MAX_ENTRIES = 256


class RecentPictures(Generic[T]):
    def __init__(
        self,
        ttl_s: float = TTL_S,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, asyncio.Task[T]]] = {}

    async def get(self, key: Hashable, draw: Callable[[], Awaitable[T]]) -> T:
        """The picture for `key` drawn within the last `ttl_s`, or being drawn now; else `draw()` it."""
        now = self._clock()
        entry = self._entries.get(key)
        if entry is None or entry[0] <= now:
            self._forget_expired(now)
            task = asyncio.ensure_future(draw())
            task.add_done_callback(lambda done: self._settled(key, done))
            entry = self._entries[key] = (now + self._ttl_s, task)
        # Shielded: one impatient requester (a cancelled handler) does not cancel the others' picture.
        return await asyncio.shield(entry[1])

    def _settled(self, key: Hashable, task: asyncio.Task[T]) -> None:
        if task.cancelled() or task.exception() is not None:
            # Retrieved here, so a failure nobody waited for is logged once rather than lost.
            if not task.cancelled():
                logger.info("picture failed, not kept key=%s error=%r", key, task.exception())
            entry = self._entries.get(key)
            if entry is not None and entry[1] is task:
                del self._entries[key]

    def _forget_expired(self, now: float) -> None:
        for key in [k for k, (expires, task) in self._entries.items() if expires <= now and task.done()]:
            del self._entries[key]
        while len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]  # the oldest: dicts keep insertion order
