"""The one backoff and retry: delays grow and stay bounded; waiting is only for what waiting can cure."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import pytest

from core.retry import Backoff, retry_call, retry_database, run_rounds, wait_event

QUICK = Backoff(first=0.001, ceiling=0.01)
log = logging.getLogger(__name__)


class Failing:
    """Raises each of `errors` in turn, then answers "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_backoff_doubles_up_to_its_ceiling_and_starts_again_after_a_reset():
    backoff = Backoff(first=0.5, ceiling=3.0)
    assert [backoff.next_delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5
    assert backoff.delay(1000) == 3.0


def test_backoff_jitter_spreads_delays_within_its_fraction():
    backoff = Backoff(first=2.0, ceiling=300.0, jitter=0.2)
    delays = [backoff.delay(2) for _ in range(200)]
    assert all(6.4 <= delay <= 9.6 for delay in delays)
    assert len(set(delays)) > 1


async def test_a_bounded_retry_gives_up_after_its_attempts_with_the_last_error():
    flaky = Failing(TimeoutError("1"), TimeoutError("2"))
    assert await retry_call(flaky, retry_on=(TimeoutError,), attempts=3, backoff=QUICK) == "done"
    hopeless = Failing(*(TimeoutError(str(n)) for n in range(5)))
    with pytest.raises(TimeoutError, match="3"):
        await retry_call(hopeless, retry_on=(TimeoutError,), attempts=4, backoff=QUICK)
    assert hopeless.calls == 4
    wrong = Failing(ValueError("not retried"))
    with pytest.raises(ValueError, match="not retried"):
        await retry_call(wrong, retry_on=(TimeoutError,), attempts=4, backoff=QUICK)
    assert wrong.calls == 1


async def test_database_work_waits_out_a_lost_connection_but_not_a_missing_table(
    caplog: pytest.LogCaptureFixture,
):
    away = Failing(ConnectionRefusedError(), asyncpg.CannotConnectNowError("starting up"))
    with caplog.at_level(logging.WARNING):
        assert await retry_database(away, what="test_work", log=log, backoff=QUICK) == "done"
    assert away.calls == 3
    assert caplog.text.count("waiting for the database what=test_work") == 2
    broken = Failing(asyncpg.UndefinedTableError("relation does not exist"))
    with pytest.raises(asyncpg.UndefinedTableError):
        await retry_database(broken, what="test_work", log=log, backoff=QUICK)
    assert broken.calls == 1


async def test_database_work_stops_waiting_when_asked_to_stop():
    stop = asyncio.Event()
    stop.set()
    never = Failing(*(ConnectionResetError() for _ in range(100)))
    assert await retry_database(never, what="test_work", log=log, stop=stop) is None
    assert never.calls == 1


async def test_rounds_run_on_demand_and_a_round_that_found_the_database_away_runs_again():
    wanted = asyncio.Event()
    done = asyncio.Event()
    work = Failing(ConnectionResetError())

    async def round_() -> None:
        if await work() == "done":
            done.set()

    rounds = asyncio.create_task(run_rounds(wanted, round_, what="test_rounds", log=log, backoff=QUICK))
    try:
        await asyncio.sleep(0)
        assert work.calls == 0  # nothing asked for yet
        wanted.set()
        await asyncio.wait_for(done.wait(), 10)
        assert work.calls == 2
    finally:
        rounds.cancel()


async def test_a_wait_cancelled_as_its_event_is_set_ends_with_the_cancel() -> None:
    """The cancel and the event in the same loop round: the waiting task must still end cancelled. (Python
    3.11's asyncio.wait_for returned True here and dropped the cancel; a loop around it then never ended.)"""
    event = asyncio.Event()
    waiting = asyncio.create_task(wait_event(event, 10))
    await asyncio.sleep(0)  # the task now waits on the event
    event.set()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert waiting.cancelled()
