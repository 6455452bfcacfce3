"""Publish → committed latency, observed from PostgreSQL.

Every reading carries its publish time as `timestamp`. A probe watches a sample of devices by polling
`telemetry` every POLL seconds; a row first seen by a query that started at t was committed before t, so
`t - timestamp` is the latency, over-estimated by at most one poll interval (the stated resolution).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

POLL = 0.05
LOOKBACK = 30.0  # seconds of rows each poll looks at; a reading later than this is counted as missed
SETTLE = 3.0  # after publishing stops, keep watching until nothing new arrived for this long
MAX_SETTLE = 15.0  # …but no longer than this: later readings count as lost to the latency figure

_RECENT = "SELECT device_id, ts FROM telemetry WHERE device_id = ANY($1::int[]) AND ts > $2"


@dataclass
class LatencyProbe:
    database_url: str
    device_ids: list[int]
    since: float = field(default_factory=time.time)
    latencies: list[float] = field(default_factory=list)
    published_at: list[float] = field(default_factory=list)
    poll_gaps: list[float] = field(default_factory=list)  # between consecutive query starts: the resolution
    _seen: set[tuple[int, datetime]] = field(default_factory=set)
    _last_poll: float = 0.0

    def since_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.since, UTC)

    async def run(self, publishing_done: asyncio.Event) -> None:
        connection = await asyncpg.connect(self.database_url)
        try:
            quiet_since = done_at = None
            while True:
                found = await self._poll(connection)
                if publishing_done.is_set():
                    now = time.monotonic()
                    done_at = done_at or now
                    quiet_since = now if found or quiet_since is None else quiet_since
                    if now - quiet_since > SETTLE or now - done_at > MAX_SETTLE:
                        return
                await asyncio.sleep(POLL)
        finally:
            await connection.close()

    async def _poll(self, connection: asyncpg.Connection) -> int:
        started = time.time()
        if self._last_poll:
            self.poll_gaps.append(started - self._last_poll)
        self._last_poll = started
        floor = max(self.since, started - LOOKBACK)
        rows = await connection.fetch(_RECENT, self.device_ids, datetime.fromtimestamp(floor, UTC))
        found = 0
        for device_id, ts in rows:
            if (device_id, ts) not in self._seen:
                self._seen.add((device_id, ts))
                self.latencies.append(started - ts.timestamp())
                self.published_at.append(ts.timestamp())
                found += 1
        return found

    def percentile(self, fraction: float, skip: float = 0.0) -> float:
        """The latency below which `fraction` of the readings published `skip` s or more into the run fall."""
        sample = [
            lat for lat, at in zip(self.latencies, self.published_at, strict=True) if at >= self.since + skip
        ]
        if len(sample) < 2:
            return float("nan")
        return statistics.quantiles(sample, n=1000, method="inclusive")[int(fraction * 1000) - 1]

    def percentile_published(self, fraction: float, *, first: float = 0.0, last: float = 0.0) -> float:
        """The latency below which `fraction` of the readings published in the `first` (or the `last`) seconds
        of publishing fall, by their publish times."""
        if not self.published_at:
            return float("nan")
        start, end = min(self.published_at), max(self.published_at)
        low, high = (start, start + first) if first else (end - last, end)
        sample = [lat for lat, at in zip(self.latencies, self.published_at, strict=True) if low <= at <= high]
        if len(sample) < 2:
            return float("nan")
        return statistics.quantiles(sample, n=1000, method="inclusive")[int(fraction * 1000) - 1]

    def timeline(self, slice_seconds: float = 5.0) -> list[tuple[float, float, float]]:
        """(offset, p50, max) per slice of publish time: shows warm-up and whether a queue builds up."""
        slices: dict[int, list[float]] = {}
        for latency, at in zip(self.latencies, self.published_at, strict=True):
            slices.setdefault(int((at - self.since) // slice_seconds), []).append(latency)
        return [
            (index * slice_seconds, statistics.median(values), max(values))
            for index, values in sorted(slices.items())
        ]
