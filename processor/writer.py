"""Flushes batches to PostgreSQL every ~200 ms or every few thousand rows, then acks and feeds the sinks.

A batch that cannot be written because PostgreSQL is away is kept and retried (its messages stay unacked,
so even a crash meanwhile loses nothing); messages keep arriving into the next batch in the meantime.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import asyncpg

from core import telemetry_store
from core.retry import DATABASE_ERRORS, Backoff, is_transient, wait_event
from core.telemetry_store import Presence, Row
from processor.ahead import AheadWrite
from processor.batch import Batch
from processor.counters import Counters
from processor.ledger import Ledger, Ticket
from processor.presence.filter import PresenceFilter
from processor.sinks import AfterCommit, CommittedBatch, FreshReading, feed

log = logging.getLogger(__name__)

# An error that waiting will not cure (a schema missing, a bug) is tried a few times, then stops the
# processor: nothing of the batch is acked, so the broker keeps it for the fixed processor. Dropping the
# batch instead would lose acknowledged data.
_ATTEMPTS_ON_HARD_ERROR = 3
# What PostgreSQL says about the data itself (SQLSTATE 22xxx: too long, out of range, NUL in text; 23xxx:
# a constraint), or asyncpg refusing to encode a value (a float beyond `real`): the batch is split to find
# the rows at fault. payloads.py validates against the columns, so this is the last line of defence.
_INVALID_DATA = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError, ValueError, OverflowError)
REFUSED_BY_DATABASE = "refused_by_database"


@dataclass(frozen=True, slots=True)
class _Written:
    inserted: int
    # (device_id, ts) of the new rows; None: every row written was new.
    new_keys: set[tuple[int, float]] | None
    refused: int


@dataclass(frozen=True, slots=True)
class WriterOptions:
    interval: float = 0.2
    max_rows: int = 5000
    # How far telemetry_hourly (history charts, reports) may lag the stored readings: batches append to
    # telemetry_hourly_pending, folded into the rollup this often (core.telemetry_store.fold_hourly).
    fold_interval: float = 5.0


class BatchWriter:
    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        ledger: Ledger,
        counters: Counters,
        sinks: Sequence[AfterCommit] = (),
        options: WriterOptions = WriterOptions(),
        *,
        urgent: Callable[[FreshReading], bool] | None = None,
    ) -> None:
        self._connect = connect
        self._ledger = ledger
        self._counters = counters
        self._sinks = sinks
        self._options = options
        self._connection: asyncpg.Connection | None = None
        self._partitions = telemetry_store.PartitionCache()
        self._presence = PresenceFilter()
        self._full = asyncio.Event()
        self._lock = asyncio.Lock()
        self._fold_lock = asyncio.Lock()
        self._fold_connection: asyncpg.Connection | None = None
        # Full batches waiting for their turn: one transaction stays a few thousand rows even when a
        # PostgreSQL outage lets hundreds of thousands of readings pile up behind it.
        self._ready: deque[Batch] = deque()
        self.pending = Batch()
        # Asked of each reading as it joins `pending` (the alert engine: "this one probably fires"): the
        # readings of its device are committed ahead of their batches (processor.ahead), so a notice waits
        # neither for the interval nor for the write of the thousands of readings drained with it.
        self._urgent = urgent
        self._asked = 0  # readings of `pending` already asked about
        self._crossing: set[int] = set()  # devices whose readings are to be written ahead
        self._ahead_wanted = asyncio.Event()
        self._ahead: AheadWrite | None = None  # the write ahead under way
        self._ahead_connection: asyncpg.Connection | None = None
        self._ahead_partitions = telemetry_store.PartitionCache()
        self._writing: Batch | None = None  # the batch being committed, until it has fed the sinks
        self._fed = asyncio.Condition()  # notified when `_writing` has fed
        # Woken after every commit: what HTTP ingest waits on before answering (persist, then acknowledge).
        self._commits = asyncio.Condition()

    def added(self) -> None:
        """Called after something went into `pending` (by MQTT ingest once per received batch, so a write may
        hold one drain's worth beyond max_rows): a full batch is queued and written without waiting; the
        devices of urgent readings are written ahead (`run_ahead`)."""
        if self._urgent is not None:
            start, self._asked = self._asked, len(self.pending.readings)
            crossing = {item.device_id for item in self.pending.readings[start:] if self._urgent(item)}
            if crossing:
                self._crossing |= crossing
                self._ahead_wanted.set()
        if len(self.pending.rows) >= self._options.max_rows:
            self._ready.append(self.pending)
            self.pending = Batch()
            self._asked = 0
            self._full.set()

    async def run(self) -> None:
        while True:
            await wait_event(self._full, self._options.interval)
            self._full.clear()
            await self.flush()

    async def run_folds(self) -> None:
        """Keep telemetry_hourly within `fold_interval` of the stored readings, beside the batch writes.

        Its own connection: a fold of a few seconds' readings takes a good fraction of a second (one upsert
        per device, hour and metric), which must not hold the batches (and their acks) back. The two never
        touch the same rows: batches only append pending rows, the fold deletes the ones it sees.

        Folds run on the wall clock's multiples of the interval, and one that finds another processor's fold
        under way leaves the round to it: the processors of a shared group fold once per interval between
        them, not once each (every fold rewrites a rollup row per device, hour and metric that got readings,
        so N folds per interval cost N times as much).
        """
        interval = self._options.fold_interval
        while True:
            await asyncio.sleep(interval - time.time() % interval)
            await self.fold(unless_folding=True)

    async def fold(self, *, unless_folding: bool = False) -> None:
        """Bring telemetry_hourly up to date (`unless_folding`: unless another fold is doing it right now).
        On failure the readings stay pending for the next fold."""
        async with self._fold_lock:
            try:
                if self._fold_connection is None or self._fold_connection.is_closed():
                    self._fold_connection = await self._connect()
                folded = await telemetry_store.fold_hourly(
                    self._fold_connection, unless_folding=unless_folding
                )
            except DATABASE_ERRORS as error:
                self._drop_fold_connection()
                log.warning("hourly rollup postponed error=%r", error)
                return
            self._counters.add("rolled_up", folded)
            if folded:
                try:
                    await telemetry_store.vacuum_pending(self._fold_connection)
                except DATABASE_ERRORS as error:  # the rollup is done; the next fold vacuums
                    self._drop_fold_connection()
                    log.warning("pending rollup rows not vacuumed error=%r", error)

    def _drop_fold_connection(self) -> None:
        connection, self._fold_connection = self._fold_connection, None
        if connection is not None and not connection.is_closed():
            connection.terminate()

    async def run_ahead(self) -> None:
        """Write the readings of crossing devices ahead of their batches (processor.ahead), one write at a
        time. Only a shortcut: a write that fails is given up, and the batches store those readings."""
        while True:
            await self._ahead_wanted.wait()
            self._ahead_wanted.clear()
            devices, self._crossing = self._crossing, set()
            # The batch being written is the first of `_ready` until it has fed the sinks.
            ahead = self._ahead = AheadWrite.gather(devices, self._ready, self.pending)
            try:
                if ahead.rows:
                    await self._write_ahead(ahead)
            finally:
                ahead.done.set()
                self._ahead = None

    async def _write_ahead(self, ahead: AheadWrite) -> None:
        try:
            if self._ahead_connection is None or self._ahead_connection.is_closed():
                self._ahead_connection = await self._connect()
            result = await telemetry_store.write_few(
                self._ahead_connection, ahead.rows, self._ahead_partitions
            )
        except (*DATABASE_ERRORS, *_INVALID_DATA) as error:
            connection, self._ahead_connection = self._ahead_connection, None
            if connection is not None and not connection.is_closed():
                connection.terminate()
            log.warning("readings not written ahead rows=%s error=%r", len(ahead.rows), error)
            self._full.set()  # the batches hold them: write those now rather than at the interval
            return
        new_keys = set(result.new_keys or ())
        async with self._fed:
            await self._fed.wait_for(lambda: not ahead.waits_for(self._writing, new_keys))
        self._counters.add("written_ahead", result.inserted)
        if self._sinks:
            await feed(self._sinks, CommittedBatch(ahead.fresh(new_keys), ()))

    async def stored(self, ticket: Ticket) -> None:
        """Until the batch holding `ticket` is committed."""
        async with self._commits:
            await self._commits.wait_for(lambda: ticket.done)

    async def flush(self) -> None:
        """Write all received so far, batch by batch (retrying while PostgreSQL is away), acking each."""
        async with self._lock:
            if len(self.pending):
                self._ready.append(self.pending)
                self.pending = Batch()
                self._asked = 0
            while self._ready:
                self._writing = self._ready[0]
                try:
                    await self._commit(self._writing)
                finally:
                    self._writing = None
                    async with self._fed:
                        self._fed.notify_all()
                self._ready.popleft()

    async def close(self) -> None:
        for connection in (self._connection, self._fold_connection, self._ahead_connection):
            if connection is not None and not connection.is_closed():
                await connection.close(timeout=2)
        self._connection = self._fold_connection = self._ahead_connection = None

    async def _commit(self, batch: Batch) -> None:
        presence = self._presence.needed(batch.presence())
        started = time.monotonic()
        result = await self._write(batch.rows, presence, probably_new=not batch.written_ahead)
        self._counters.observe_batch(len(batch.rows), time.monotonic() - started)
        self._presence.committed(presence)
        for ticket in batch.tickets:
            ticket.done = True
        self._ledger.release()
        async with self._commits:
            self._commits.notify_all()
        self._counters.add("batches")
        self._counters.add("stored", result.inserted)
        self._counters.add("duplicates", len(batch.rows) - result.inserted - result.refused)
        if self._sinks:
            fresh = batch.fresh_readings(result.new_keys)
            ahead = self._ahead
            if ahead is not None and ahead.holds_back(batch, fresh):
                await ahead.done.wait()  # its readings of these devices come before ours
            await feed(self._sinks, CommittedBatch(fresh, batch.events))

    async def _write(
        self, rows: Sequence[Row], presence: Sequence[Presence], *, probably_new: bool = True
    ) -> _Written:
        """Write rows and presence, waiting out PostgreSQL outages; what PostgreSQL refuses as invalid data
        is isolated by bisection and dropped (counted), so one bad row never holds the others back."""
        backoff = Backoff()
        hard_errors = 0
        while True:
            try:
                connection = await self._connection_ready()
                result = await telemetry_store.write_batch(
                    connection,
                    rows,
                    presence,
                    self._partitions,
                    want_new_keys=bool(self._sinks),
                    probably_new=probably_new,
                )
                return _Written(result.inserted, result.new_keys, 0)
            except _INVALID_DATA as error:
                await self._discard_connection()
                return await self._bisect(rows, presence, error)
            except DATABASE_ERRORS as error:
                await self._discard_connection()
                if not is_transient(error):
                    hard_errors += 1
                    if hard_errors >= _ATTEMPTS_ON_HARD_ERROR:
                        log.exception("batch cannot be written rows=%s", len(rows))
                        raise
                delay = backoff.next_delay()
                self._counters.add("flush_retries")
                log.warning(
                    "batch not written, retrying rows=%s delay=%.1f error=%r", len(rows), delay, error
                )
                await asyncio.sleep(delay)

    async def _bisect(self, rows: Sequence[Row], presence: Sequence[Presence], error: Exception) -> _Written:
        if len(rows) + len(presence) <= 1:
            device_id = rows[0][0] if rows else presence[0].device_id
            self._counters.drop(REFUSED_BY_DATABASE, f"device_id:{device_id}", "-", repr(error).encode())
            return _Written(0, set(), len(rows))
        halves: list[tuple[Sequence[Row], Sequence[Presence]]]
        if len(rows) > 1:
            middle = len(rows) // 2
            halves = [(rows[:middle], ()), (rows[middle:], presence)]
        elif rows:
            halves = [(rows, ()), ((), presence)]
        else:
            middle = len(presence) // 2
            halves = [((), presence[:middle]), ((), presence[middle:])]
        written = [await self._write(part_rows, part_presence) for part_rows, part_presence in halves]
        new_keys: set[tuple[int, float]] = set()
        for (part_rows, _), part in zip(halves, written, strict=True):
            new_keys |= {(row[0], row[1]) for row in part_rows} if part.new_keys is None else part.new_keys
        return _Written(
            sum(part.inserted for part in written), new_keys, sum(part.refused for part in written)
        )

    async def _connection_ready(self) -> asyncpg.Connection:
        if self._connection is None or self._connection.is_closed():
            connection = await self._connect()
            await telemetry_store.prepare(connection)
            self._connection = connection
        return self._connection

    async def _discard_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            connection.terminate()
