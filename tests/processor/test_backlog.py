"""A sink's backlog: a round PostgreSQL could not take is tried again, a buggy round is given up and counted,
and past its limit the oldest items go."""

from __future__ import annotations

import asyncio

from core.retry import Backoff
from processor.backlog import Backlog
from processor.counters import Counters


class Handler:
    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.rounds: list[list[int]] = []
        self.called = asyncio.Event()
        self.handled = asyncio.Event()

    async def __call__(self, items: list[int]) -> None:
        self.rounds.append(items)
        self.called.set()
        if self.errors:
            raise self.errors.pop(0)
        self.handled.set()


async def _run_until_handled(backlog: Backlog[int], handler: Handler) -> None:
    worker = asyncio.create_task(backlog.run(handler))
    try:
        await asyncio.wait_for(handler.handled.wait(), 10)
    finally:
        worker.cancel()


async def test_a_round_the_database_refused_is_tried_again_with_nothing_lost():
    counters = Counters()
    backlog: Backlog[int] = Backlog("things", 100, counters, backoff=Backoff(first=0.01, ceiling=0.01))
    handler = Handler(ConnectionResetError())
    backlog.add([1, 2, 3])
    await _run_until_handled(backlog, handler)
    assert handler.rounds == [[1, 2, 3], [1, 2, 3]]
    assert counters.values.get("things_failed", 0) == 0


async def test_a_buggy_round_is_given_up_and_counted_and_the_next_one_still_runs():
    counters = Counters()
    backlog: Backlog[int] = Backlog("things", 100, counters)
    handler = Handler(KeyError("bug"))
    backlog.add([1, 2])
    worker = asyncio.create_task(backlog.run(handler))
    try:
        await asyncio.wait_for(handler.called.wait(), 10)
        backlog.add([3])
        await asyncio.wait_for(handler.handled.wait(), 10)
    finally:
        worker.cancel()
    assert handler.rounds == [[1, 2], [3]]
    assert counters.values["things_failed"] == 2


async def test_beyond_its_limit_the_oldest_items_are_dropped_and_counted():
    counters = Counters()
    backlog: Backlog[int] = Backlog("things", 3, counters)
    handler = Handler()
    backlog.add(range(5))
    backlog.add([])
    await _run_until_handled(backlog, handler)
    assert handler.rounds == [[2, 3, 4]]
    assert counters.values["things_dropped"] == 2
