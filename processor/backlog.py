"""What an after-commit sink hands its worker: items piling up while the worker is busy, taken in rounds.

Ingest never waits for a sink: it adds to the backlog and goes on. A round the database could not take
(PostgreSQL away) is put back ahead of what arrived meanwhile and tried again after a backoff delay; a round
that fails of a bug is logged and its items given up, so one bad batch cannot stop the feature for everyone.
Beyond `limit` items the oldest go (they would be stale by the time PostgreSQL came back).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

from core.retry import Backoff, is_transient, run_rounds
from processor.counters import Counters

log = logging.getLogger(__name__)

T = TypeVar("T")


class Backlog(Generic[T]):
    """Items counted as `<name>_dropped` (over the limit) and `<name>_failed` (given up after a bug)."""

    def __init__(self, name: str, limit: int, counters: Counters, *, backoff: Backoff | None = None) -> None:
        self._name = name
        self._backoff = backoff
        self._limit = limit
        self._counters = counters
        self._items: list[T] = []
        self._ready = asyncio.Event()

    def add(self, items: Iterable[T]) -> None:
        before = len(self._items)
        self._items.extend(items)
        if len(self._items) == before:
            return
        overflow = len(self._items) - self._limit
        if overflow > 0:
            del self._items[:overflow]
            self._counters.add(f"{self._name}_dropped", overflow)
        self._ready.set()

    async def run(self, handle: Callable[[list[T]], Awaitable[None]]) -> None:
        """Forever: hand everything waiting to `handle` whenever something was added."""
        await run_rounds(
            self._ready,
            functools.partial(self._round, handle),
            what=self._name,
            log=log,
            backoff=self._backoff,
        )

    async def _round(self, handle: Callable[[list[T]], Awaitable[None]]) -> None:
        items, self._items = self._items, []
        try:
            await handle(items)
        except Exception as error:
            if is_transient(error):
                self._items[:0] = items
                raise
            log.exception("%s failed, given up items=%s", self._name, len(items))
            self._counters.add(f"{self._name}_failed", len(items))
