"""Follow-ups of "sent — waiting for the device" messages: poll PostgreSQL until an answer or a deadline.

Polling (once a second, a primary-key read) rather than LISTEN keeps this self-contained: it survives a
database reconnect without losing a notification, needs no connection of its own, and a user waits at most a
second longer. Tasks are kept referenced here, so they are not garbage-collected mid-wait.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
POLL_EVERY = 1.0

_running: set[asyncio.Task[Any]] = set()


def spawn(coroutine: Coroutine[Any, Any, None], name: str) -> None:
    """Run a follow-up beside the update that started it; its failure is logged, never raised."""
    task = asyncio.create_task(coroutine, name=name)
    _running.add(task)
    task.add_done_callback(_finished)


def _finished(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("follow-up failed task=%s", task.get_name(), exc_info=task.exception())


async def poll(
    check: Callable[[], Awaitable[T | None]], within: float, every: float = POLL_EVERY
) -> T | None:
    """`check()` every `every` seconds until it returns something (returned) or `within` s pass (None)."""
    deadline = time.monotonic() + within
    while True:
        found = await check()
        if found is not None:
            return found
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        await asyncio.sleep(min(every, remaining))
