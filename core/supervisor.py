"""Background tasks that never vanish silently: one that dies is logged and restarted after a backoff delay;
one that keeps dying (or may not be restarted at all) stops the program loudly.

Every program (processor, bot, device agent, simulator) starts its long-running loops here instead of with a
bare `asyncio.create_task`, whose exception nobody would ever read.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from core.retry import Backoff

log = logging.getLogger(__name__)

# `restarts=ALWAYS`: for a task the program can do without for a while, never a reason to stop it.
ALWAYS = sys.maxsize


class TaskFailed(RuntimeError):
    """A supervised task failed more often than it may be restarted: the program has to stop."""

    def __init__(self, supervisor: str, task: str, failures: int) -> None:
        super().__init__(f"{supervisor}: background task {task!r} failed {failures} times in a row")
        self.task = task


class Supervisor:
    """Owns a program's background tasks; `stop()` (or leaving `async with`) cancels them all.

    A task failing after it ran `healthy_after` seconds starts its count of failures in a row afresh.
    When a task gives up, `on_give_up` is called (e.g. to stop polling) and `until()` / `check()` raise
    `TaskFailed`, so the program exits with an error instead of running on without the task.
    """

    def __init__(
        self,
        name: str,
        *,
        backoff: Backoff | None = None,
        healthy_after: float = 60.0,
        on_give_up: Callable[[TaskFailed], object] | None = None,
        stop_grace: float = 5.0,
    ) -> None:
        self.name = name
        self._backoff = backoff or Backoff(first=1.0, ceiling=30.0, jitter=0.2)
        self._healthy_after = healthy_after
        self._on_give_up = on_give_up
        self._stop_grace = stop_grace
        self._tasks: set[asyncio.Task[None]] = set()
        self._failure: TaskFailed | None = None
        self._failed = asyncio.Event()

    def start(
        self, name: str, run: Callable[[], Awaitable[None]], *, restarts: int = 5
    ) -> asyncio.Task[None]:
        """Run `run()` in the background until it returns; if it raises, call it again after a delay.

        `restarts`: how many failures in a row are restarted before giving up (0: the first failure stops
        the program). The task returned ends when `run()` returns or the supervisor gives up on it.
        """
        task = asyncio.create_task(self._keep(name, run, restarts), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def until(self, stopping: asyncio.Event) -> None:
        """Wait until `stopping` is set; raise `TaskFailed` as soon as a task gives up first."""
        waits = {asyncio.ensure_future(stopping.wait()), asyncio.ensure_future(self._failed.wait())}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        self.check()

    async def join(self, *tasks: asyncio.Task[None]) -> None:
        """Wait until every one of `tasks` (from `start`) has ended; raise `TaskFailed` as soon as any
        supervised task gives up."""
        pending: set[asyncio.Future[Any]] = set(tasks)
        failed: asyncio.Future[Any] = asyncio.ensure_future(self._failed.wait())
        try:
            while pending and not failed.done():
                _, pending = await asyncio.wait({*pending, failed}, return_when=asyncio.FIRST_COMPLETED)
                pending.discard(failed)
        finally:
            failed.cancel()
        self.check()

    def check(self) -> None:
        """Raise `TaskFailed` if a task has given up."""
        if self._failure is not None:
            raise self._failure

    async def stop(self) -> None:
        """Cancel every task and wait for them all to end. A task still running `stop_grace` seconds after
        its cancel is cancelled again (and named in the log): a cancel can be lost (a library that returns
        instead of raising when a result arrives with it), and the task would run on, keeping the program's
        stop waiting for ever."""
        tasks = list(self._tasks)
        while tasks:
            for task in tasks:
                task.cancel()
            done, still_running = await asyncio.wait(tasks, timeout=self._stop_grace)
            for task in done:  # retrieved, so that asyncio does not log it as never retrieved
                if not task.cancelled():
                    task.exception()
            if still_running:
                log.warning(
                    "background tasks still running after their cancel, cancelled again"
                    " supervisor=%s tasks=%s",
                    self.name,
                    ",".join(sorted(task.get_name() for task in still_running)),
                )
            tasks = list(still_running)

    async def __aenter__(self) -> Supervisor:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    async def _keep(self, name: str, run: Callable[[], Awaitable[None]], restarts: int) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            started = loop.time()
            try:
                await run()
            except Exception as error:
                if loop.time() - started >= self._healthy_after:
                    failures = 0
                failures += 1
                if failures > restarts:
                    log.critical(
                        "background task gave up, stopping supervisor=%s task=%s failures=%s",
                        self.name,
                        name,
                        failures,
                        exc_info=True,
                    )
                    failure = TaskFailed(self.name, name, failures)
                    failure.__cause__ = error
                    self._give_up(failure)
                    return
                delay = self._backoff.delay(failures - 1)
                log.exception(
                    "background task died, restarting supervisor=%s task=%s failures=%s delay=%.1f",
                    self.name,
                    name,
                    failures,
                    delay,
                )
                await asyncio.sleep(delay)
            else:
                log.info("background task finished supervisor=%s task=%s", self.name, name)
                return

    def _give_up(self, failure: TaskFailed) -> None:
        if self._failure is None:
            self._failure = failure
            self._failed.set()
            if self._on_give_up is not None:
                self._on_give_up(failure)
