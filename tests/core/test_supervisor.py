"""The one supervisor of background tasks: nothing dies silently, and what keeps dying stops the program."""

from __future__ import annotations

import asyncio
import logging

import pytest

from core.retry import Backoff
from core.supervisor import Supervisor, TaskFailed

QUICK = Backoff(first=0.01, ceiling=0.05)


class Flaky:
    """Raises `failures` times, then stays up until cancelled."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.up = asyncio.Event()

    async def run(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(f"bug number {self.calls}")
        self.up.set()
        await asyncio.Event().wait()


async def test_a_supervised_task_that_raises_is_logged_and_restarted(caplog: pytest.LogCaptureFixture):
    flaky = Flaky(failures=2)
    with caplog.at_level(logging.ERROR, logger="core.supervisor"):
        async with Supervisor("test", backoff=QUICK) as tasks:
            tasks.start("flaky", flaky.run)
            await asyncio.wait_for(flaky.up.wait(), 10)
            tasks.check()  # restarted, not given up
    assert flaky.calls == 3
    restarts = [record for record in caplog.records if "restarting" in record.getMessage()]
    assert len(restarts) == 2
    assert all("task=flaky" in record.getMessage() and record.exc_info for record in restarts)


async def test_a_task_that_keeps_failing_stops_the_program_loudly(caplog: pytest.LogCaptureFixture):
    flaky = Flaky(failures=100)
    told: list[TaskFailed] = []
    with caplog.at_level(logging.CRITICAL, logger="core.supervisor"):
        async with Supervisor("test", backoff=QUICK, on_give_up=told.append) as tasks:
            tasks.start("doomed", flaky.run, restarts=2)
            with pytest.raises(TaskFailed) as failure:
                await asyncio.wait_for(tasks.until(asyncio.Event()), 10)
    assert flaky.calls == 3  # the first run and two restarts
    assert failure.value.task == "doomed"
    assert str(failure.value.__cause__) == "bug number 3"
    assert told == [failure.value]
    assert any("gave up" in record.getMessage() for record in caplog.records)


async def test_waiting_until_stopped_ends_on_the_stop_while_every_task_is_up():
    flaky = Flaky(failures=1)
    stopping = asyncio.Event()
    async with Supervisor("test", backoff=QUICK) as tasks:
        tasks.start("flaky", flaky.run)
        waiting = asyncio.create_task(tasks.until(stopping))
        await asyncio.wait_for(flaky.up.wait(), 10)
        assert not waiting.done()  # a restart is no reason to stop
        stopping.set()
        await asyncio.wait_for(waiting, 10)


async def test_joining_a_task_ends_when_it_returns_and_raises_when_another_gives_up():
    finished = asyncio.Event()

    async def short() -> None:
        finished.set()

    async with Supervisor("test", backoff=QUICK) as tasks:
        await asyncio.wait_for(tasks.join(tasks.start("short", short, restarts=0)), 10)
        assert finished.is_set()
        tasks.check()

    async with Supervisor("test", backoff=QUICK) as tasks:
        tasks.start("doomed", Flaky(failures=100).run, restarts=0)
        with pytest.raises(TaskFailed):
            await asyncio.wait_for(tasks.join(tasks.start("forever", asyncio.Event().wait)), 10)


async def test_a_task_that_loses_its_cancel_is_cancelled_again_and_the_stop_ends(
    caplog: pytest.LogCaptureFixture,
):
    """A task that swallows one cancel and goes on waiting would keep stop() waiting for ever; after the
    grace it is cancelled again, and named in the log."""
    swallowed = asyncio.Event()

    async def deaf() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            swallowed.set()  # as a lost cancel: it carries on waiting
        await asyncio.Event().wait()

    supervisor = Supervisor("test", stop_grace=0.05)
    supervisor.start("deaf", deaf)
    supervisor.start("polite", lambda: asyncio.Event().wait())
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING):
        async with asyncio.timeout(5):
            await supervisor.stop()
    assert swallowed.is_set()
    assert "still running after their cancel, cancelled again supervisor=test tasks=deaf" in caplog.text
