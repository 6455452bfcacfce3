"""Telemetry written the way the processor writes it (COPY, rollup in the same transaction)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import asyncpg

from core import telemetry_store
from core.db import asyncpg_dsn
from core.telemetry_store import PartitionCache, Row

BATCH = 5000
Metrics = Callable[[datetime], tuple[float | None, float | None, float | None]]


def wave(ts: datetime) -> tuple[float | None, float | None, float | None]:
    """(co2, temperature, humidity): smooth daily waves, so hourly min/mean/max all differ."""
    phase = ts.timestamp() / 86400 * 2 * math.pi
    return (
        800 + 400 * math.sin(phase),
        round(21 + 2 * math.cos(phase), 2),
        round(40 + 10 * math.sin(phase / 2), 1),
    )


def readings(
    device_id: int, start: datetime, end: datetime, step_s: int = 30, metrics: Metrics = wave
) -> Iterator[Row]:
    """One row every `step_s` seconds in [start, end)."""
    moment = start.astimezone(UTC)
    while moment < end:
        co2, temperature, humidity = metrics(moment)
        yield telemetry_store.row(
            device_id, moment, {"co2": co2, "temperature": temperature, "humidity": humidity}
        )
        moment += timedelta(seconds=step_s)


async def store(database_url: str, rows: Iterator[Row]) -> int:
    """Write the rows through core.telemetry_store, in processor-sized batches, then fold the hourly rollup;
    returns how many."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    written = 0
    try:
        await telemetry_store.prepare(connection)
        partitions = PartitionCache()
        batch: list[Row] = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                written += (await telemetry_store.write_batch(connection, batch, [], partitions)).inserted
                batch = []
        if batch:
            written += (await telemetry_store.write_batch(connection, batch, [], partitions)).inserted
        await telemetry_store.fold_hourly(connection)  # as the processor's rollup task does
    finally:
        await connection.close()
    return written
