"""Where each asyncio task of a program waits: the whole chain of awaits, innermost last.

asyncio's own Task.print_stack shows a suspended task's outermost frame alone ("await run()"), and py-spy
shows the event loop idle in select(); the await that never returns is at the other end of the chain. Used
by core.stop_deadline when a stop hangs, and on demand: `kill -USR1 <pid>` logs the chains of a running
program (the test harness does it to the programs of a test that failed).
"""

from __future__ import annotations

import asyncio
import faulthandler
import io
import logging
import signal
import sys
import threading

log = logging.getLogger(__name__)

ON_REQUEST = signal.SIGUSR1


def task_stacks(loop: asyncio.AbstractEventLoop) -> str:
    """Every unfinished task of `loop` and the chain of awaits it is suspended in, innermost last (safe to
    call from another thread: it only reads). asyncio's own Task.print_stack shows a suspended task's
    outermost frame alone ("await run()"); the await that never returns is at the other end."""
    try:
        tasks = asyncio.all_tasks(loop)
    except RuntimeError as error:  # the loop's task set kept changing under us
        return f"(the tasks could not be listed: {error!r})\n"
    out = io.StringIO()
    for task in sorted(tasks, key=lambda each: each.get_name()):
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


def log_on_request(program: str) -> None:
    """From now on, ON_REQUEST makes the running loop's program write its threads' stacks to stderr and log
    its tasks' chains, and go on.

    The threads' stacks come from faulthandler, in C, at once, even while the loop is stuck. The chains are
    logged from a thread of their own: a Python signal handler runs inside whatever the main thread was
    doing, maybe a write to the same log, and logging there would re-enter it.
    """
    loop = asyncio.get_running_loop()

    def log_tasks() -> None:
        log.warning("%s tasks on request:\n%s", program, task_stacks(loop))

    def requested(_signum: int, _frame: object) -> None:
        threading.Thread(target=log_tasks, name=f"{program}-tasks-on-request", daemon=True).start()

    signal.signal(ON_REQUEST, requested)
    # After signal.signal, and chained to it: faulthandler dumps first, then Python's handler runs.
    faulthandler.register(ON_REQUEST, file=sys.stderr, all_threads=True, chain=True)
