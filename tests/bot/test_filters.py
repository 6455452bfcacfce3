"""Every filter a message or a button press passes on its way to a handler runs on the event loop.

aiogram runs a synchronous filter (a magic `F…` filter, a bare `State`) through `asyncio.to_thread`: a
dispatcher-level one sent every message to a worker thread and back (bench/status_findings.md). A handler's
later filters run only once its first one matched (a dialogue in progress), so they may stay synchronous.
"""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.dispatcher.event.handler import FilterObject

from bot.handlers import setup_routers

OBSERVED = ("message", "callback_query")


def _threaded(filters: list[FilterObject] | None) -> list[str]:
    return [repr(each.callback) for each in filters or [] if not each.awaitable]


def test_no_filter_checked_for_every_update_runs_in_a_thread() -> None:
    dispatcher = Dispatcher()
    setup_routers(dispatcher)
    threaded: dict[str, list[str]] = {}
    for router in dispatcher.chain_tail:
        for name in OBSERVED:
            observer = router.observers[name]
            # The router's own filters (observer.filter), checked for every update that reaches it.
            root = _threaded(observer._handler.filters)  # aiogram keeps them only here
            first = [_threaded(handler.filters[:1]) for handler in observer.handlers]
            found = root + [each for found in first for each in found]
            if found:
                threaded[f"{router.name}.{name}"] = found
    assert threaded == {}
