"""Every stored reading also goes to ClickHouse (`CLICKHOUSE_URL`): an after-commit sink with a bounded spool.

`committed()` only appends to the spool, so ingest never waits for ClickHouse. A background task writes the
spool in batches, oldest first, and takes rows off it only after ClickHouse accepted them (at least once; the
table's engine makes a repeat harmless). While ClickHouse is down the spool grows up to `spool_rows`; readings
committed beyond that are not exported, only counted (they stay in PostgreSQL until retention). When
ClickHouse is back, the task catches up. `lag_rows` and `lag_seconds` (in the `clickhouse export` log line
and on /metrics) say how far behind it is. With a `SpoolFile` (python -m processor gives it one) the spool is
also on disk, so what a crash left unexported goes out after the next start (processor.clickhouse_spool).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core.clickhouse import ClickHouseUnavailable, Row, Store
from core.retry import Backoff, wait_event
from core.supervisor import Supervisor
from processor.clickhouse_spool import SpoolFile
from processor.sinks import CommittedBatch

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExportOptions:
    batch_rows: int = 20_000
    # How long a small batch may wait for company: ClickHouse prefers few large inserts.
    flush_interval: float = 1.0
    spool_rows: int = 1_000_000
    log_interval: float = 30.0
    # A graceful stop gives the spool this long to reach ClickHouse.
    final_flush_seconds: float = 10.0


class ClickHouseExport:
    """The sink; run `exporting()` around the processor to have its background writer."""

    def __init__(
        self, store: Store, options: ExportOptions = ExportOptions(), spool_file: SpoolFile | None = None
    ) -> None:
        self._store = store
        self._options = options
        # (committed at, monotonic) per row, so the lag can be told in seconds too.
        self._spool: deque[tuple[float, Row]] = deque()
        self._file = spool_file
        if spool_file is not None:
            now = time.monotonic()
            self._spool.extend((now, row) for row in spool_file.recovered())
        self._arrived = asyncio.Event()
        self.written = 0
        self.dropped = 0

    @property
    def lag_rows(self) -> int:
        return len(self._spool)

    @property
    def lag_seconds(self) -> float:
        return time.monotonic() - self._spool[0][0] if self._spool else 0.0

    async def committed(self, batch: CommittedBatch) -> None:
        room = self._options.spool_rows - len(self._spool)
        readings = batch.readings[:room] if room > 0 else ()
        if len(readings) < len(batch.readings):
            self.dropped += len(batch.readings) - len(readings)
            log.warning("clickhouse spool full, readings not exported dropped=%s", self.dropped)
        now = time.monotonic()
        # Unix seconds here, a datetime only when written: the rows go to the spool file as they are.
        rows = [(fresh.device_id, fresh.reading.ts, *fresh.reading.values) for fresh in readings]
        self._on_file(lambda spool_file: spool_file.append(rows))
        self._spool.extend((now, row) for row in rows)
        if len(self._spool) >= self._options.batch_rows:
            self._arrived.set()

    async def run(self) -> None:
        """Write the spool to ClickHouse for ever; an outage is waited out with a growing pause."""
        backoff = Backoff(first=0.5, ceiling=30.0, jitter=0.2)
        while True:
            await wait_event(self._arrived, self._options.flush_interval)
            self._arrived.clear()
            while self._spool:
                try:
                    await self._write_one_batch()
                except ClickHouseUnavailable as error:
                    delay = backoff.next_delay()
                    log.warning(
                        "clickhouse unavailable, retry in %.1fs lag_rows=%s error=%s",
                        delay,
                        self.lag_rows,
                        error,
                    )
                    await asyncio.sleep(delay)
                    break
                backoff.reset()

    async def final_flush(self) -> None:
        """On a graceful stop: as much of the spool as ClickHouse takes within `final_flush_seconds`."""
        try:
            async with asyncio.timeout(self._options.final_flush_seconds):
                while self._spool:
                    await self._write_one_batch()
        except (TimeoutError, ClickHouseUnavailable) as error:
            reason = str(error) or "timeout"
            log.warning("clickhouse export stopped behind lag_rows=%s error=%s", self.lag_rows, reason)

    async def log_lines(self) -> None:
        while True:
            await asyncio.sleep(self._options.log_interval)
            self.log_line()

    def log_line(self) -> None:
        log.info(
            "clickhouse export written=%s dropped=%s lag_rows=%s lag_seconds=%.1f",
            self.written,
            self.dropped,
            self.lag_rows,
            self.lag_seconds,
        )

    async def _write_one_batch(self) -> None:
        count = min(len(self._spool), self._options.batch_rows)
        rows = [_stored(self._spool[i][1]) for i in range(count)]
        await asyncio.to_thread(self._store.insert, rows)
        # Only now off the spool (rows appended meanwhile are behind these; nothing else removes any).
        for _ in range(count):
            self._spool.popleft()
        self._on_file(lambda spool_file: spool_file.accepted(count))
        self.written += count

    def close_file(self) -> None:
        if self._file is not None:
            self._file.close()

    def _on_file(self, change: Callable[[SpoolFile], None]) -> None:
        """Keep the spool file in step; a disk that fails it (full, gone) leaves the export in memory only,
        as without a file, rather than stop it."""
        if self._file is None:
            return
        try:
            change(self._file)
        except OSError as error:
            log.error("clickhouse spool file failed, spooling in memory only from now error=%s", error)
            self._file.close()
            self._file = None


def _stored(row: Row) -> Row:
    device_id, ts, *values = row
    return (device_id, datetime.fromtimestamp(ts, UTC), *values)


class ExportCollector(Collector):
    """The export's figures on the processor's /metrics, read at scrape time."""

    def __init__(self, export: ClickHouseExport) -> None:
        self._export = export

    def collect(self) -> Iterator[Metric]:
        export = self._export
        yield CounterMetricFamily(
            "smartair_clickhouse_readings_written", "Readings written to ClickHouse", value=export.written
        )
        yield CounterMetricFamily(
            "smartair_clickhouse_readings_dropped", "Readings not exported: spool full", value=export.dropped
        )
        yield GaugeMetricFamily(
            "smartair_clickhouse_lag_rows", "Readings stored, not yet in ClickHouse", value=export.lag_rows
        )
        yield GaugeMetricFamily(
            "smartair_clickhouse_lag_seconds", "Age of the oldest reading waiting", value=export.lag_seconds
        )


@contextlib.asynccontextmanager
async def exporting(
    url: str, options: ExportOptions = ExportOptions(), spool_file: SpoolFile | None = None
) -> AsyncIterator[ClickHouseExport]:
    """The sink with its writer running (what `spool_file` kept from a previous run goes first); on leaving,
    a last flush, then the writer stops."""
    store = Store(url)
    export = ClickHouseExport(store, options, spool_file)
    tasks = Supervisor("clickhouse")
    async with tasks:
        tasks.start("clickhouse_writer", export.run)
        tasks.start("clickhouse_log", export.log_lines)
        try:
            yield export
        finally:
            await tasks.stop()
            await export.final_flush()
            export.log_line()
            export.close_file()
            await asyncio.to_thread(store.close)
