"""Chart and report rendering in a pool of worker processes, so the event loop never draws.

matplotlib holds the GIL for the whole ~0.3 s of a chart: drawn in the bot's process, twenty people asking
at once would stall every other update for seconds. The pool is created at start; jobs carry plain data
(picklable dataclasses) in and bytes out.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import select
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from bot.workers.rendering.jobs import HistoryJob
from bot.workers.rendering.recent import RecentPictures
from core.services.history import ChartSettings
from core.services.report import MonthData

logger = logging.getLogger(__name__)

__all__ = ["HistoryJob", "Renderer", "default_workers"]


# Workers draw at a lower priority than the event loop and PostgreSQL: a chart storm may use every
# core, yet /status and the other updates still get the CPU first when they need it.
WORKER_NICENESS = 5
MAX_WORKERS = 4


def default_workers() -> int:
    """One worker per core this process may run on (a container's CPU set, not the host's count)."""
    return max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0))))


# The functions the workers run import .drawing (and matplotlib with it) there: the bot's own process never
# draws, and importing matplotlib would add seconds of CPU to every start of the bot.


def _start_worker(bot_pid: int, glyph_cache: bool) -> None:
    from bot.workers.rendering import drawing  # noqa: PLC0415 - see above

    os.nice(WORKER_NICENESS)
    threading.Thread(target=_exit_with, args=(bot_pid,), name="exit_with_bot", daemon=True).start()
    drawing.warm_up(glyph_cache)


def _render_history(job: HistoryJob) -> bytes:
    from bot.workers.rendering import drawing  # noqa: PLC0415 - see above

    return drawing.render_history(job)


def _render_report(data: MonthData, language: str) -> bytes:
    from bot.workers.rendering import drawing  # noqa: PLC0415 - see above

    return drawing.render_report(data, language)


def _exit_with(bot_pid: int) -> None:
    """Leave when the bot is gone, however it went.

    A worker is the forkserver's child, not the bot's, and it holds both ends of the pool's queue and the
    forkserver's liveness pipe: after a SIGKILL of the bot nothing ever reaches end-of-file, so workers, the
    forkserver and the resource tracker would stay behind for good. The bot's pidfd becomes readable when it
    exits.
    """
    try:
        pidfd = os.pidfd_open(bot_pid)
    except ProcessLookupError:
        os._exit(0)
    select.select([pidfd], [], [])
    os._exit(0)


class Renderer:
    """The bot's rendering pool; `await renderer.history(job)` never blocks the event loop.

    `admission` bounds how many requests prepare a picture at once (database reads included). Drawing is
    limited to `workers` at a time anyway; without the bound, twenty simultaneous charts would take twenty
    database connections to load data that then waits in the pool's queue, and /status for everyone else
    would wait for a connection.
    """

    def __init__(self, workers: int | None = None, *, glyph_cache: bool = True) -> None:
        self.workers = workers or default_workers()
        self._glyph_cache = glyph_cache
        # One request drawing and one loading its data per worker keeps the pool busy.
        self.admission = asyncio.Semaphore(2 * self.workers)
        # Identical requests within a minute: one drawing (the history handler keys it by what was asked).
        self.recent: RecentPictures[tuple[ChartSettings, bytes]] = RecentPictures()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # forkserver, not fork: a worker must not inherit the bot's sockets, threads and event loop.
        context = multiprocessing.get_context("forkserver")
        # The server imports matplotlib once; every worker forked from it starts with it loaded.
        context.set_forkserver_preload(["bot.workers.rendering.drawing"])
        return ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(), self._glyph_cache),
        )

    async def history(self, job: HistoryJob) -> bytes:
        return await self._run(_render_history, job)

    async def report(self, data: MonthData, language: str) -> bytes:
        return await self._run(_render_report, data, language)

    async def _run(self, function: Callable[..., bytes], *args: object) -> bytes:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the pool is unusable for good. Start a new one and
            # try once more; a second failure goes to the error handler like any other.
            logger.error("rendering pool broken, starting a new one function=%s", function.__name__)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)

    async def start(self) -> None:
        """Start every worker now (the pool would otherwise start them on the first requests)."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._pool, os.getpid) for _ in range(self.workers)))
        logger.info("rendering pool ready workers=%s", self.workers)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
