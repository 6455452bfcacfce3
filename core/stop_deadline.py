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
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable

from core.task_stacks import task_stacks

log = logging.getLogger(__name__)

EXIT_STATUS = 70  # EX_SOFTWARE: "an internal software error has been detected"


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
        log.critical(
            "%s did not stop within %.1f s of being asked to; exiting status=%s; its tasks:\n%s",
            self.program,
            self.seconds,
            EXIT_STATUS,
            task_stacks(loop),
        )
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(EXIT_STATUS)


def on_stop_signals(program: str, seconds: float, stop: Callable[[], None]) -> None:
    """From now on SIGTERM and SIGINT call `stop` and arm the program's StopDeadline of `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = StopDeadline(program, seconds)

    def requested() -> None:
        stop()
        deadline.arm()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, requested)
