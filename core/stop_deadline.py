"""A program asked to stop that is still running `seconds` later logs where each of its asyncio tasks waits,
then exits with status 70 (EX_SOFTWARE).

Why: an await that never returns during the stop (a task that does not end on cancel, a peer that never
answers) would keep the program alive for good, and leave nothing to go by: py-spy shows the thread, which
is the event loop idle in select(); only the tasks' own stacks name the await. The deadline runs on a
thread of its own, so it fires even if the event loop itself is stuck.
"""

from __future__ import annotations

import asyncio
import faulthandler
import io
import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

EXIT_STATUS = 70  # EX_SOFTWARE: "an internal software error has been detected"


def task_stacks(loop: asyncio.AbstractEventLoop) -> str:
    """Every unfinished task of `loop` and the chain of awaits it is suspended in, innermost last (safe to
    call from another thread: it only reads). asyncio's own Task.print_stack shows a suspended task's
    outermost frame alone ("await run()"); the await that never returns is at the other end."""
    out = io.StringIO()
    for task in sorted(asyncio.all_tasks(loop), key=lambda each: each.get_name()):
        out.write(f"task {task.get_name()}:\n")
        for line in _await_chain(task.get_coro()):
            out.write(f"  {line}\n")
    return out.getvalue()


def _await_chain(awaitable: object) -> list[str]:
    lines = []
    for _ in range(100):  # a bound, not an expected depth
        frame = next((getattr(awaitable, name) for name in _FRAMES if getattr(awaitable, name, None)), None)
        if frame is None:
            if awaitable is not None:
                lines.append(f"waits for {awaitable!r}")
            break
        lines.append(f'File "{frame.f_code.co_filename}", line {frame.f_lineno}, in {frame.f_code.co_name}')
        awaitable = next((getattr(awaitable, name) for name in _AWAITS if hasattr(awaitable, name)), None)
    return lines


# Where a coroutine, a generator-based coroutine and an async generator keep their frame, and what each
# awaits.
_FRAMES = ("cr_frame", "gi_frame", "ag_frame")
_AWAITS = ("cr_await", "gi_yieldfrom", "ag_await")


class StopDeadline:
    """Armed once, when the program is asked to stop; the program ending first makes it moot (a daemon
    thread does not keep a process alive)."""

    def __init__(self, program: str, seconds: float) -> None:
        self.program = program
        self.seconds = seconds
        self._timer: threading.Timer | None = None

    def arm(self) -> None:
        """Start counting (from the first call on; later calls change nothing)."""
        if self._timer is not None:
            return
        loop = asyncio.get_running_loop()
        self._timer = threading.Timer(self.seconds, self._expired, args=(loop,))
        self._timer.name = f"{self.program}-stop-deadline"
        self._timer.daemon = True
        self._timer.start()

    def _expired(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            stacks = task_stacks(loop)
        except RuntimeError as error:  # the loop's task set kept changing under us
            stacks = f"(the tasks could not be listed: {error!r})"
        log.critical(
            "%s did not stop within %.1f s of being asked to; exiting status=%s; its tasks:\n%s",
            self.program,
            self.seconds,
            EXIT_STATUS,
            stacks,
        )
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(EXIT_STATUS)
