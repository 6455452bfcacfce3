"""Waiting out failures: which database errors are worth waiting for, and how long to wait between tries.

The one backoff and retry of the house (processor, bot, device, billing): exponential delays, capped,
optionally jittered so that many clients failing together do not come back together; `retry_call` for a
bounded number of tries, `retry_database` / `run_rounds` for work that waits for PostgreSQL as long as it
takes.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

# Everything a database call can raise; what to catch around one, then sort with is_transient().
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    SQLAlchemyError,
)

_TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable
    TimeoutError,
    asyncpg.InterfaceError,  # the connection is closed or broken
    asyncpg.PostgresConnectionError,  # SQLSTATE 08xxx
    asyncpg.OperatorInterventionError,  # 57xxx: admin shutdown, terminated backend, starting up
    asyncpg.InsufficientResourcesError,  # 53xxx: too many connections, out of memory
    asyncpg.TransactionRollbackError,  # 40xxx: deadlock or serialization failure, safe to run again
    asyncpg.ObjectNotInPrerequisiteStateError,  # 55000: the database does not accept connections right now
)


def is_transient(error: BaseException) -> bool:
    """True if running the same work again later may succeed; looks through SQLAlchemy's wrappers."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 6:
        if isinstance(current, _TRANSIENT):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
        seen += 1
    return False


class Backoff:
    """Delays of `first`, 2×`first`, 4×`first`… seconds, never above `ceiling`; reset() after a success.

    `jitter` spreads each delay over ±that fraction (0.2: 80 %–120 %), so a fleet that lost its broker or a
    batch of failed rows does not return in one burst.
    """

    def __init__(self, first: float = 0.2, ceiling: float = 5.0, *, jitter: float = 0.0) -> None:
        self.first = first
        self.ceiling = ceiling
        self.jitter = jitter
        self._attempt = 0

    def delay(self, attempt: int) -> float:
        """The wait after failure number `attempt` (0 = the first), without touching the state."""
        base = min(self.ceiling, self.first * 2.0 ** min(attempt, 64))
        if not self.jitter:
            return base
        return base * random.uniform(1 - self.jitter, 1 + self.jitter)  # spread, not secrecy

    def next_delay(self) -> float:
        delay = self.delay(self._attempt)
        self._attempt += 1
        return delay

    def reset(self) -> None:
        self._attempt = 0

    async def sleep(self, stop: asyncio.Event | None = None) -> bool:
        """Wait the next delay, or less if `stop` is set meanwhile; True if it was."""
        delay = self.next_delay()
        if stop is None:
            await asyncio.sleep(delay)
            return False
        return await wait_event(stop, delay)


async def wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Sleep up to `seconds` or until `event` is set; True if it was.

    asyncio.timeout, not asyncio.wait_for: on Python 3.11, a wait_for cancelled in the same loop round as its
    event is set returns instead of raising, and the cancel is lost; a task looping on it (every supervised
    loop here) then never ends, and the program's stop waits for it for ever. Seen as the processor's stop
    hang, named by core.stop_deadline's chains of awaits.
    """
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def retry_call(
    call: Callable[[], Awaitable[T]],
    *,
    retry_on: tuple[type[BaseException], ...],
    attempts: int,
    backoff: Backoff | None = None,
) -> T:
    """`call()`'s result, calling it again after an error of `retry_on` up to `attempts` calls in all;
    the last call's error is raised as it is."""
    backoff = backoff or Backoff()
    for attempt in range(attempts - 1):
        try:
            return await call()
        except retry_on:
            await asyncio.sleep(backoff.delay(attempt))
    return await call()


async def on_live_connection(session: AsyncSession, work: Callable[[], Awaitable[T]]) -> T:
    """`work()`'s result; if it found the session's pooled connection dead (PostgreSQL restarted, the
    backend was terminated), the session lets go of it and `work()` runs once more on a fresh one.

    For the first statements of a unit of work on an engine without pre-ping (core.db.make_engine): the
    dead connection is found by the work itself, one round trip instead of the ping's three, and nothing
    before it can have been half done. SQLAlchemy invalidates the whole pool on such an error, so the
    second try connects anew.
    """
    try:
        return await work()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        await session.rollback()
    return await work()


async def retry_database(
    work: Callable[[], Awaitable[T]],
    *,
    what: str,
    log: logging.Logger,
    backoff: Backoff | None = None,
    stop: asyncio.Event | None = None,
) -> T | None:
    """`work()`'s result, calling it again after each transient database failure (logged as `what`).

    An error waiting cannot cure is raised at once. None only if `stop` was set while waiting to retry.
    """
    backoff = backoff or Backoff(first=0.5, ceiling=10.0)
    while True:
        try:
            return await work()
        except DATABASE_ERRORS as error:
            if not is_transient(error):
                raise
            log.warning("waiting for the database what=%s error=%r", what, error)
            if await backoff.sleep(stop):
                return None


async def run_rounds(
    wanted: asyncio.Event,
    work: Callable[[], Awaitable[object]],
    *,
    what: str,
    log: logging.Logger,
    every: float | None = None,
    backoff: Backoff | None = None,
) -> None:
    """Forever: wait until `wanted` is set (or `every` seconds passed), clear it, run `work()`.

    A round that fails because PostgreSQL is away is logged as `what`, waited out and run again; any other
    error is raised (to the caller's supervisor).
    """
    backoff = backoff or Backoff(first=0.5, ceiling=10.0)
    while True:
        if every is None:
            await wanted.wait()
        else:
            await wait_event(wanted, every)
        wanted.clear()
        try:
            await work()
        except DATABASE_ERRORS as error:
            if not is_transient(error):
                raise
            log.warning("waiting for the database what=%s error=%r", what, error)
            await backoff.sleep()
            wanted.set()
        else:
            backoff.reset()
