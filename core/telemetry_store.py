"""Batched telemetry writes: COPY into a staging table, insert with conflict-skip, queue what was new for
the hourly rollup, and fold that queue into telemetry_hourly.

One batch is one transaction: readings, a copy of exactly the rows that were inserted in
telemetry_hourly_pending (so a redelivered message counts once), and the devices' last_seen / online /
firmware / IP. `fold_hourly`, run apart, rolls the pending rows up. Rows and locks are taken in key order so
that several processors writing at once queue behind each other instead of deadlocking. Works on a plain
asyncpg connection: COPY is not something SQLAlchemy offers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from core.catalogue import METRIC_NAMES, METRICS

COLUMNS = ("device_id", "ts", *METRIC_NAMES)
# (device_id, ts, *the catalogue's metric values) in the order of COLUMNS.
Row = tuple[Any, ...]


def row(device_id: int, ts: datetime, metrics: Mapping[str, float | None]) -> Row:
    """A Row from named metrics (benches, tests, tools); ingest builds rows from readings directly."""
    return (device_id, ts, *(metrics.get(name) for name in METRIC_NAMES))


_METRIC_LIST = ", ".join(METRIC_NAMES)
_ALL = f"device_id, ts, {_METRIC_LIST}"
_METRIC_DDL = ", ".join(f"{m.name} {'float8' if m.is_counter else 'real'}" for m in METRICS.values())

STAGING_TABLE = "telemetry_staging"
_STAGING_DDL = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGING_TABLE} (
    device_id integer NOT NULL,
    ts timestamptz NOT NULL,
    {_METRIC_DDL}
) ON COMMIT DELETE ROWS
"""

# Data-modifying CTEs run exactly once, whether or not the final SELECT reads them; `ins` holds only the
# rows that were really new, which is what makes the rollup immune to duplicates.
_INSERT = f"""
WITH ins AS (
    INSERT INTO telemetry ({_ALL})
    SELECT {_ALL} FROM {STAGING_TABLE}
    ORDER BY device_id, ts
    ON CONFLICT (device_id, ts) DO NOTHING
    RETURNING {_ALL}
)"""

_METRIC_VALUES = ",\n        ".join(f"('{name}', r.{name}::float8)" for name in METRIC_NAMES)


def _roll_up(source: str) -> str:
    """Add the readings of CTE `source` to telemetry_hourly: one upsert per device, hour and metric.

    A counter is rolled up like a gauge here (min/max of its register per hour); its consumption is the
    reset-aware increase between consecutive readings, which needs the reading before the hour as well and
    is computed by core.services.consumption.
    """
    return f"""
    INSERT INTO telemetry_hourly AS h (device_id, bucket, metric, min, max, sum, count)
    SELECT r.device_id, date_trunc('hour', r.ts, 'UTC'), m.metric,
           min(m.value), max(m.value), sum(m.value), count(*)
    FROM {source} AS r CROSS JOIN LATERAL (VALUES
        {_METRIC_VALUES}
    ) AS m(metric, value)
    WHERE m.value IS NOT NULL
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
    ON CONFLICT (device_id, bucket, metric) DO UPDATE SET
        min = LEAST(h.min, EXCLUDED.min),
        max = GREATEST(h.max, EXCLUDED.max),
        sum = h.sum + EXCLUDED.sum,
        count = h.count + EXCLUDED.count"""


# Rolling up inside the batch's transaction would make each reading up to five rollup row updates (≈ 6× the
# cost of storing it, bench/write_path.py). New rows are appended to the unindexed pending table instead,
# and `fold_hourly` rolls them up later, once per device-hour-metric for everything appended meanwhile.
_INSERT_AND_DEFER = (
    _INSERT + f", pending AS (INSERT INTO telemetry_hourly_pending ({_ALL}) SELECT {_ALL} FROM ins)\n"
)
_COUNT_NEW = "SELECT count(*) FROM ins"
_KEYS_OF_NEW = "SELECT device_id, ts FROM ins"

# Deleting and rolling up in one statement: a reading leaves the pending table exactly when it is counted.
# Two processors folding at once each take the rows the other did not (a deleted row is skipped).
_FOLD = (
    f"""
WITH moved AS (
    DELETE FROM telemetry_hourly_pending
    RETURNING {_ALL}
), hourly AS ("""
    + _roll_up("moved")
    + """
)
SELECT count(*) FROM moved
"""
)

_LOCK_DEVICES = "SELECT 1 FROM devices WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE"
# GREATEST and COALESCE skip NULLs: a field the batch said nothing about keeps its value.
_UPDATE_DEVICES = """
UPDATE devices AS d SET
    last_seen = GREATEST(d.last_seen, v.last_seen),
    is_online = COALESCE(v.is_online, d.is_online),
    firmware_version = COALESCE(v.firmware_version, d.firmware_version),
    last_ip = COALESCE(v.last_ip, d.last_ip)
FROM unnest($1::int[], $2::timestamptz[], $3::bool[], $4::text[], $5::text[])
    AS v(id, last_seen, is_online, firmware_version, last_ip)
WHERE d.id = v.id
"""


@dataclass(frozen=True, slots=True)
class Presence:
    """What a batch learned about one device; None means "nothing new, keep what is stored"."""

    device_id: int
    last_seen: datetime | None
    is_online: bool | None
    firmware_version: str | None
    last_ip: str | None


@dataclass(frozen=True, slots=True)
class WriteResult:
    inserted: int
    # (device_id, ts) of the rows that were new, when asked for: what later stages may react to.
    new_keys: list[tuple[int, datetime]] | None


class PartitionCache:
    """Days known to have a telemetry partition, so the common batch costs no extra round trip."""

    def __init__(self) -> None:
        self._days: set[date] = set()

    async def ensure(self, connection: asyncpg.Connection, days: Iterable[date]) -> None:
        """Create the partitions of `days` that this process has not seen yet (idempotent in SQL too)."""
        for day in sorted(set(days) - self._days):
            await connection.execute("SELECT telemetry_ensure_partition($1)", day)
            self._days.add(day)

    def forget(self) -> None:
        """Retention may have dropped a partition we remembered."""
        self._days.clear()


async def prepare(connection: asyncpg.Connection) -> None:
    """Create this connection's staging table; call once per new connection."""
    await connection.execute(_STAGING_DDL)


async def write_batch(
    connection: asyncpg.Connection,
    rows: Sequence[Row],
    presence: Sequence[Presence],
    partitions: PartitionCache,
    *,
    want_new_keys: bool = False,
) -> WriteResult:
    """Store `rows` (duplicates of stored readings are skipped) and `presence`, atomically.

    Guarantees: after it returns, every row is in `telemetry` exactly once, each new row waits exactly once
    in telemetry_hourly_pending (telemetry_hourly includes it from the next `fold_hourly` on), and the
    devices reflect `presence`; if it raises, nothing of the batch is stored.
    """
    await partitions.ensure(connection, {row[1].date() for row in rows})
    try:
        return await _write(connection, rows, presence, want_new_keys)
    except asyncpg.CheckViolationError:
        # "no partition of relation found for row": a cached day was dropped meanwhile; retry once.
        partitions.forget()
        await partitions.ensure(connection, {row[1].date() for row in rows})
        return await _write(connection, rows, presence, want_new_keys)


async def fold_hourly(connection: asyncpg.Connection) -> int:
    """Roll the pending readings (see `write_batch`) up into telemetry_hourly; how many.

    One transaction: each pending reading is counted exactly once, even with a crash or a concurrent fold.
    """
    async with connection.transaction():
        return int(await connection.fetchval(_FOLD))


async def _write(
    connection: asyncpg.Connection,
    rows: Sequence[Row],
    presence: Sequence[Presence],
    want_new_keys: bool,
) -> WriteResult:
    async with connection.transaction():
        result = WriteResult(0, [] if want_new_keys else None)
        if rows:
            await connection.copy_records_to_table(STAGING_TABLE, records=rows, columns=COLUMNS)
            result = await _insert(connection, want_new_keys)
        if presence:
            await _update_devices(connection, presence)
    return result


async def _insert(connection: asyncpg.Connection, want_new_keys: bool) -> WriteResult:
    if want_new_keys:
        keys = [(record[0], record[1]) for record in await connection.fetch(_INSERT_AND_DEFER + _KEYS_OF_NEW)]
        return WriteResult(len(keys), keys)
    return WriteResult(int(await connection.fetchval(_INSERT_AND_DEFER + _COUNT_NEW)), None)


async def _update_devices(connection: asyncpg.Connection, presence: Sequence[Presence]) -> None:
    ordered = sorted(presence, key=lambda item: item.device_id)
    ids = [item.device_id for item in ordered]
    await connection.execute(_LOCK_DEVICES, ids)
    await connection.execute(
        _UPDATE_DEVICES,
        ids,
        [item.last_seen for item in ordered],
        [item.is_online for item in ordered],
        [item.firmware_version for item in ordered],
        [item.last_ip for item in ordered],
    )
