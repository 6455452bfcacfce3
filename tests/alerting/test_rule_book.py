"""The processor's rules and states in memory (RuleBook): the same alerts as reading the rows every batch,
told by NOTIFY what changed, and never announcing an episode twice beside a second processor."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg

from core import notify
from core.services.alerting import DeviceReading, Outcome, RuleBook
from sandbox.seed import Sessions, make_user, pair_device
from tests.alerting.helpers import alerts_of, feed
from tests.kit.sql import execute

DAY = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
# Above T=1000 from +10 s; held 60 s at +70 s → fires; 950 lies in the hysteresis band; 850 recovers.
EPISODE = [(0, 900), (10, 1200), (40, 1300), (70, 1250), (100, 1400), (130, 950), (160, 850)]
FLAPPING = [(s, 1100 if s % 60 == 0 else 990) for s in range(200, 600, 30)]


async def through(book: RuleBook, sessions: Sessions, device: int, co2: Sequence[tuple[float, float]]) -> int:
    """Each (seconds after DAY, ppm) in its own batch through one long-lived book; transitions announced."""
    announced = 0
    for offset, value in co2:
        announced += (await once(book, sessions, device, offset, value)).transitions
    return announced


async def once(book: RuleBook, sessions: Sessions, device: int, offset: float, value: float) -> Outcome:
    at = DAY + timedelta(seconds=offset)
    async with sessions() as session:
        outcome = await book.evaluate(session, [DeviceReading(device, at, {"co2": value})], at)
        await session.commit()
    return outcome


async def test_a_book_kept_across_batches_alerts_exactly_as_reading_the_rows_every_batch(
    sessionmaker: Sessions,
) -> None:
    owner = await make_user(sessionmaker)
    kept, reread = [await pair_device(sessionmaker, owner_id=owner) for _ in range(2)]
    book = RuleBook()
    await through(book, sessionmaker, kept, EPISODE[:4])  # fires at +70 s
    restarted = RuleBook()  # a restart: the state comes back from the row; firing stays firing
    await through(restarted, sessionmaker, kept, [*EPISODE[4:], *FLAPPING])
    await feed(sessionmaker, reread, DAY, [*EPISODE, *FLAPPING])

    def shape(alerts: list) -> list[tuple[str, float, float]]:
        return [(a.type, a.value, a.threshold) for a in alerts]

    expected = [("co2_high", 1250, 1000), ("co2_normal", 850, 1000)]
    assert shape(await alerts_of(sessionmaker, owner, kept)) == expected
    assert shape(await alerts_of(sessionmaker, owner, reread)) == expected


async def test_a_device_the_book_is_told_about_is_read_again(sessionmaker: Sessions) -> None:
    owner = await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner)
    book = RuleBook()
    assert (await once(book, sessionmaker, device, 0, 1200)).transitions == 0  # the hold time starts
    await execute(
        sessionmaker, "UPDATE device_configs SET alerts_enabled = false WHERE device_id = :id", id=device
    )
    book.forget(device)
    assert (await once(book, sessionmaker, device, 61, 1300)).transitions == 0  # alerts off: nothing
    await execute(
        sessionmaker,
        "UPDATE alert_rules SET threshold = 1250, clear_level = 1100"
        " WHERE device_id = :id AND metric = 'co2'",
        id=device,
    )
    await execute(
        sessionmaker, "UPDATE device_configs SET alerts_enabled = true WHERE device_id = :id", id=device
    )
    book.forget(device)
    # Back on with the new threshold; the hold time that started before still counts.
    assert (await once(book, sessionmaker, device, 90, 1300)).transitions == 1
    (fired,) = await alerts_of(sessionmaker, owner, device)
    assert (fired.type, fired.value, fired.threshold) == ("co2_high", 1300, 1250)


async def test_two_books_sharing_a_device_announce_each_transition_once(sessionmaker: Sessions) -> None:
    """Two processors in a shared group each keep a book; the stored state decides who announces."""
    owner = await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner)
    first, second = RuleBook(), RuleBook()
    await through(first, sessionmaker, device, [(0, 1200)])
    await through(second, sessionmaker, device, [(1, 1200)])
    # Both remember "pending"; the first to write fires, the other's write finds the row changed.
    assert await through(first, sessionmaker, device, [(70, 1300)]) == 1
    assert await through(second, sessionmaker, device, [(71, 1300)]) == 0
    # The second read the row again after losing: it sees "firing" and announces the recovery…
    assert await through(second, sessionmaker, device, [(90, 800)]) == 1
    # …which the first, still remembering "firing", cannot announce again.
    assert await through(first, sessionmaker, device, [(95, 750)]) == 0
    alerts = await alerts_of(sessionmaker, owner, device)
    assert [a.type for a in alerts] == ["co2_high", "co2_normal"]


async def _alerting_signals(database_url: str) -> tuple[asyncio.Queue[str], asyncpg.Connection]:
    """The ALERTING_CHANGED payloads (device ids) as they arrive, and the listening connection to close."""
    signals: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(database_url)
    await listener.add_listener(notify.ALERTING_CHANGED, lambda *args: signals.put_nowait(args[3]))
    return signals, listener


async def test_rules_alert_switches_and_stored_states_signal_their_device_and_other_settings_do_not(
    sessionmaker: Sessions, database_url: str
) -> None:
    owner = await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner)
    signals, listener = await _alerting_signals(database_url)
    try:
        await execute(
            sessionmaker,
            "UPDATE alert_rules SET clear_level = 880 WHERE device_id = :id AND metric = 'co2'",
            id=device,
        )
        assert await asyncio.wait_for(signals.get(), 5) == str(device)
        # The processor bumps versions all the time: that must not reload anything…
        await execute(
            sessionmaker, "UPDATE device_configs SET version = version + 1 WHERE device_id = :id", id=device
        )
        # …while the alerts switch does. Signals arrive in commit order, so nothing may come in between.
        await execute(
            sessionmaker, "UPDATE device_configs SET alerts_enabled = false WHERE device_id = :id", id=device
        )
        assert await asyncio.wait_for(signals.get(), 5) == str(device)
        assert signals.empty()
        await execute(
            sessionmaker, "UPDATE device_configs SET alerts_enabled = true WHERE device_id = :id", id=device
        )
        assert await asyncio.wait_for(signals.get(), 5) == str(device)
        # A state written by an evaluator (here: the hold time starting) is news for the other processors.
        await feed(sessionmaker, device, DAY, [(0, 1200)])
        assert await asyncio.wait_for(signals.get(), 5) == str(device)
    finally:
        await listener.close()


async def test_the_echo_of_its_own_state_write_is_not_read_again_and_a_change_after_it_is(
    sessionmaker: Sessions, database_url: str
) -> None:
    owner = await make_user(sessionmaker)
    device = await pair_device(sessionmaker, owner_id=owner)
    signals, listener = await _alerting_signals(database_url)
    book = RuleBook()
    try:
        assert (await once(book, sessionmaker, device, 0, 1200)).transitions == 0  # the hold: a state write
        book.changed(int(await asyncio.wait_for(signals.get(), 5)))  # its echo
        await execute(
            sessionmaker,
            "UPDATE alert_rules SET threshold = 1250, clear_level = 1100"
            " WHERE device_id = :id AND metric = 'co2'",
            id=device,
        )
        # Its signal not handled yet: the echo read nothing again, so the book still holds the old rule.
        assert (await once(book, sessionmaker, device, 61, 1240)).transitions == 1
        # The change's signal, then the echo of the firing's write (in commit order): the change is read.
        for _ in range(2):
            book.changed(int(await asyncio.wait_for(signals.get(), 5)))
        assert (await once(book, sessionmaker, device, 90, 1090)).transitions == 1  # below the new C
    finally:
        await listener.close()
    alerts = await alerts_of(sessionmaker, owner, device)
    assert [(a.type, a.threshold) for a in alerts] == [("co2_high", 1000), ("co2_normal", 1250)]
