"""CSV export of a device's readings: streamed from the database in chunks, written as it arrives.

The file opens with a UTF-8 byte order mark (Excel otherwise guesses the encoding wrongly), a header
row, then one row per reading: an ISO 8601 timestamp in the user's time zone with its offset and one
column per metric. A month of 30-second readings is ~90 000 rows; never more than CHUNK_ROWS of them
are in memory at once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import catalogue
from core.models import METRICS, Device, DeviceType, Telemetry, TelemetryHourly
from core.services import archive, consumption
from core.services.history import hour_start
from core.services.periods import Window

CHUNK_ROWS = 5000
BOM = "\ufeff"
TIME_COLUMN = "time"


async def columns(session: AsyncSession, device_id: int, start: datetime, end: datetime) -> list[str]:
    """The metrics to export: the device type's sensors plus whatever else the period's rollup holds."""
    sensors = await session.scalar(
        select(DeviceType.sensors)
        .join(Device, Device.device_type == DeviceType.code)
        .where(Device.id == device_id)
    )
    stored = await session.scalars(
        select(TelemetryHourly.metric)
        .where(
            TelemetryHourly.device_id == device_id,
            TelemetryHourly.bucket >= hour_start(start),
            TelemetryHourly.bucket < end,
        )
        .distinct()
    )
    present = set(sensors or ()) | set(stored)
    return [m for m in METRICS if m in present] or list(METRICS)


async def write_csv(session: AsyncSession, device_id: int, window: Window, tz_name: str, out: TextIO) -> int:
    """Write the readings of the window, oldest first, as CSV to `out`; returns how many rows.

    The caller has checked access; `out` should be opened with newline="" (the csv module's rule).
    """
    start, end = window.start, window.end
    metrics = await columns(session, device_id, start, end)
    consumed = await _Consumed.before(session, device_id, metrics, start)
    writer = csv.writer(out)
    out.write(BOM)
    writer.writerow([TIME_COLUMN, *metrics, *consumed.header])
    zone = ZoneInfo(tz_name)
    older = await archive.older_readings(device_id, start, end, metrics)
    writer.writerows(csv_rows(consumed.rows(older), zone))
    query = (
        select(Telemetry.ts, *(getattr(Telemetry, m) for m in metrics))
        .where(
            Telemetry.device_id == device_id,
            Telemetry.ts >= max(start, archive.cutoff() or start),
            Telemetry.ts < end,
        )
        .order_by(Telemetry.ts)
        .execution_options(yield_per=CHUNK_ROWS)
    )
    written = len(older)
    # A server-side cursor: PostgreSQL hands the rows over a chunk at a time.
    result = await session.stream(query)
    async for chunk in result.partitions(CHUNK_ROWS):
        writer.writerows(csv_rows(consumed.rows(chunk), zone))
        written += len(chunk)
    return written


def csv_rows(rows: Iterable[Sequence[Any]], zone: ZoneInfo) -> Iterable[list[str]]:
    """(ts, value, …) rows as CSV cells: local ISO time with offset, numbers without float noise."""
    for ts, *values in rows:
        yield [ts.astimezone(zone).isoformat(timespec="seconds"), *(_number(v) for v in values)]


def _number(value: float | None) -> str:
    # Readings are stored as 4-byte floats: 7 significant digits is all they hold (25.1, not 25.100000381).
    # A counter's register (and what it consumed) is a double: kept to the Wh, however large.
    if value is None:
        return ""
    if isinstance(value, Precise):
        return f"{round(value, 6):.15g}"
    return f"{value:.7g}"


class Precise(float):
    """A double that the CSV shows in full (a counter's register, a consumption)."""


class _Consumed:
    """For each counter column, what it consumed since the previous reading (a drop counts as a reset, as in
    core.services.consumption); the first reading's previous one is the last before the window."""

    def __init__(self, metrics: Sequence[str], previous: list[float | None]) -> None:
        self._indexes = [i for i, m in enumerate(metrics) if catalogue.METRICS[m].is_counter]
        self._previous = previous
        self.header = [f"{metrics[i]}_consumed" for i in self._indexes]

    @classmethod
    async def before(
        cls, session: AsyncSession, device_id: int, metrics: Sequence[str], start: datetime
    ) -> _Consumed:
        counters = [m for m in metrics if catalogue.METRICS[m].is_counter]
        previous = [await consumption.last_before(session, device_id, m, start) for m in counters]
        return cls(metrics, previous)

    def rows(self, rows: Iterable[Sequence[Any]]) -> Iterable[Sequence[Any]]:
        if not self._indexes:
            yield from rows
            return
        for ts, *values in rows:
            extra: list[float | None] = []
            for position, index in enumerate(self._indexes):
                value = values[index]
                if value is None:
                    extra.append(None)
                    continue
                values[index] = Precise(value)
                before = self._previous[position]
                extra.append(None if before is None else Precise(consumption.increase(before, value)))
                self._previous[position] = value
            yield (ts, *values, *extra)
