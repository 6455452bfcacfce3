"""Batched telemetry writes: COPY into a staging table, insert (as all new, or skipping readings stored
before), queue what was new for the hourly rollup, and fold that queue into telemetry_hourly_wide (one row per
device and hour; the view telemetry_hourly shows it per metric).

One batch is one transaction: readings, a copy of exactly the rows that were inserted in
telemetry_hourly_pending (so a redelivered message counts once), and the devices' last_seen / online /
firmware / IP. `fold_hourly`, run apart, rolls the pending rows up. Rows and locks are taken in key order so
that several processors writing at once queue behind each other instead of deadlocking. Works on a plain
asyncpg connection: COPY is not something SQLAlchemy offers.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import asyncpg

from core.catalogue import METRIC_NAMES, METRICS

# (device_id, ts as unix seconds, *the catalogue's metric values in METRIC_NAMES order). Seconds rather than
# a datetime: ingest makes one row per reading, and PostgreSQL converts them (to_timestamp, rounding to the
# microsecond) for a fraction of what building and encoding a datetime each costs in Python.
Row = tuple[Any, ...]
# The staging table's columns, in Row order.
COLUMNS = ("device_id", "epoch", *METRIC_NAMES)


def row(device_id: int, ts: datetime, metrics: Mapping[str, float | None]) -> Row:
    """A Row from named metrics (benches, tests, tools); ingest builds rows from readings directly."""
    return (device_id, ts.timestamp(), *(metrics.get(name) for name in METRIC_NAMES))


_METRIC_LIST = ", ".join(METRIC_NAMES)
_ALL = f"device_id, ts, {_METRIC_LIST}"
_METRIC_DDL = ", ".join(f"{m.name} {'float8' if m.is_counter else 'real'}" for m in METRICS.values())

STAGING_TABLE = "telemetry_staging"
_STAGING_DDL = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGING_TABLE} (
    device_id integer NOT NULL,
    epoch float8 NOT NULL,
    {_METRIC_DDL}
) ON COMMIT DELETE ROWS
"""

# Data-modifying CTEs run exactly once, whether or not the final SELECT reads them; `ins` holds only the
# rows that were really new, which is what makes the rollup immune to duplicates.
_INSERT = f"""
WITH ins AS (
    INSERT INTO telemetry ({_ALL})
    SELECT device_id, to_timestamp(epoch), {_METRIC_LIST} FROM {STAGING_TABLE}
    ORDER BY device_id, epoch
    ON CONFLICT (device_id, ts) DO NOTHING
    RETURNING {_ALL}
)"""

_COUNTER_NAMES = tuple(name for name in METRIC_NAMES if METRICS[name].is_counter)
_HOUR = "date_trunc('hour', r.ts, 'UTC')"
# telemetry_hourly_wide holds one row per device and hour, with these columns for each metric (prefixed with
# its name: co2_min…); a counter also has HOURLY_COUNTER_PARTS. The view telemetry_hourly shows it as one row
# per device, hour and metric with readings, which is what readers query (see the hourly_wide migration).
HOURLY_AGGREGATES = ("min", "max", "sum", "count")
HOURLY_COUNTER_PARTS = ("first_ts", "first_value", "last_ts", "last_value", "rise", "increase")
HOURLY_TABLE = "telemetry_hourly_wide"


def hourly_parts(name: str) -> tuple[str, ...]:
    """The parts metric `name` has in telemetry_hourly_wide: its columns are `{name}_{part}`."""
    return HOURLY_AGGREGATES + (HOURLY_COUNTER_PARTS if METRICS[name].is_counter else ())


def _folded_columns(name: str) -> list[str]:
    """What the fold's upsert writes of metric `name` (a counter's increase is set after it)."""
    return [f"{name}_{part}" for part in hourly_parts(name) if part != "increase"]


def increase_sql(previous: str, value: str) -> str:
    """SQL of core.services.consumption.increase: a drop is a reset counted from zero; no previous reading
    (NULL) counts nothing."""
    return (
        f"(CASE WHEN {previous} IS NULL THEN 0 WHEN {value} >= {previous} THEN {value} - {previous}"
        f" ELSE {value} END)"
    )


def _counter_hours(source: str, name: str) -> str:
    """Per device and hour, counter `name`'s first and last reading and `rise`, the increase between
    consecutive readings inside the hour."""
    return f"""
        SELECT device_id, bucket, min(ts) AS {name}_first_ts,
               (array_agg(value ORDER BY ts))[1] AS {name}_first_value,
               max(ts) AS {name}_last_ts, (array_agg(value ORDER BY ts DESC))[1] AS {name}_last_value,
               sum({increase_sql("previous", "value")}) AS {name}_rise
        FROM (
            SELECT r.device_id, {_HOUR} AS bucket, r.ts, r.{name} AS value,
                   lag(r.{name}) OVER (PARTITION BY r.device_id, {_HOUR} ORDER BY r.ts) AS previous
            FROM {source} AS r WHERE r.{name} IS NOT NULL
        ) AS steps
        GROUP BY 1, 2"""


def _merged(name: str) -> str:
    """The ON CONFLICT assignments of metric `name`: the hour's row (h) merged with the fold's (EXCLUDED).
    LEAST and GREATEST skip NULLs (a metric one side has no readings of)."""
    merged = [
        f"{name}_min = LEAST(h.{name}_min, EXCLUDED.{name}_min)",
        f"{name}_max = GREATEST(h.{name}_max, EXCLUDED.{name}_max)",
        f"{name}_sum = COALESCE(h.{name}_sum + EXCLUDED.{name}_sum, h.{name}_sum, EXCLUDED.{name}_sum)",
        f"{name}_count = h.{name}_count + EXCLUDED.{name}_count",
    ]
    if not METRICS[name].is_counter:
        return ",\n        ".join(merged)
    old, new = f"h.{name}", f"EXCLUDED.{name}"
    # rise: the fold's readings appended after the hour's last reading or before its first; readings that
    # land between them leave it NULL, and fold_hourly recounts that hour from `telemetry`.
    merged += [
        f"{name}_first_ts = LEAST({old}_first_ts, {new}_first_ts)",
        f"{name}_first_value = CASE WHEN {old}_first_ts IS NULL OR {new}_first_ts < {old}_first_ts"
        f" THEN {new}_first_value ELSE {old}_first_value END",
        f"{name}_last_ts = GREATEST({old}_last_ts, {new}_last_ts)",
        f"{name}_last_value = CASE WHEN {old}_last_ts IS NULL OR {new}_last_ts > {old}_last_ts"
        f" THEN {new}_last_value ELSE {old}_last_value END",
        f"""{name}_rise = CASE
            WHEN {new}_count = 0 THEN {old}_rise
            WHEN {old}_count = 0 THEN {new}_rise
            WHEN {new}_first_ts > {old}_last_ts
                THEN {old}_rise + {increase_sql(f"{old}_last_value", f"{new}_first_value")} + {new}_rise
            WHEN {new}_last_ts < {old}_first_ts
                THEN {new}_rise + {increase_sql(f"{new}_last_value", f"{old}_first_value")} + {old}_rise
        END""",
    ]
    return ",\n        ".join(merged)


def _roll_up(source: str) -> str:
    """Add the readings of CTE `source` to telemetry_hourly_wide: one upsert per device and hour.

    Every metric gets min/max/sum/count. A counter also gets its hour's first and last reading and `rise`
    (see `_merged`). `increase` (rise plus the step from the reading before the hour) is set by
    `fold_hourly` afterwards: it depends on the hour before, which this upsert may be changing too. Returns
    each hour's device and bucket, and per counter whether the hour has its readings and whether its rise
    must be recounted.
    """
    aggregates = ", ".join(
        f"min(r.{name}::float8) AS {name}_min, max(r.{name}::float8) AS {name}_max,"
        f" sum(r.{name}::float8) AS {name}_sum, count(r.{name}) AS {name}_count"
        for name in METRIC_NAMES
    )
    joins = "".join(
        f"\n        LEFT JOIN ({_counter_hours(source, name)}\n        ) AS {name} USING (device_id, bucket)"
        for name in _COUNTER_NAMES
    )
    columns = [column for name in METRIC_NAMES for column in _folded_columns(name)]
    flags = "".join(
        f", h.{name}_count > 0 AS {name}_has, h.{name}_count > 0 AND h.{name}_rise IS NULL AS {name}_stale"
        for name in _COUNTER_NAMES
    )
    assignments = ",\n        ".join(_merged(name) for name in METRIC_NAMES)
    return f"""
    INSERT INTO {HOURLY_TABLE} AS h (device_id, bucket, {", ".join(columns)})
    SELECT device_id, bucket, {", ".join(columns)}
    FROM (
        SELECT r.device_id, {_HOUR} AS bucket, {aggregates}
        FROM {source} AS r
        GROUP BY 1, 2
    ) AS hours{joins}
    ORDER BY 1, 2
    ON CONFLICT (device_id, bucket) DO UPDATE SET
        {assignments}
    RETURNING h.device_id, h.bucket{flags}"""


# Rolling up inside the batch's transaction would make each reading up to five rollup row updates (≈ 6× the
# cost of storing it, bench/write_path.py). New rows are appended to the unindexed pending table instead,
# and `fold_hourly` rolls them up later, once per device-hour-metric for everything appended meanwhile.
_INSERT_AND_DEFER = (
    _INSERT + f", pending AS (INSERT INTO telemetry_hourly_pending ({_ALL}) SELECT {_ALL} FROM ins)\n"
)
# The usual batch holds no reading stored before, and a plain INSERT costs PostgreSQL about 40 % less than
# one with ON CONFLICT (speculative insertion, the rows passed on through RETURNING): 6.3 against 10.5 µs a
# row (bench/ingest_findings.md). So a batch is first stored as all new, in one round trip (two statements
# in the simple protocol); a reading stored before (a redelivery, another processor's copy) makes it fail
# with unique_violation, and the batch is written again with _INSERT_AND_DEFER, which skips such readings.
_STAGED = f"SELECT device_id, to_timestamp(epoch), {_METRIC_LIST} FROM {STAGING_TABLE}"
_INSERT_ALL_NEW = f"""
INSERT INTO telemetry ({_ALL}) {_STAGED} ORDER BY device_id, epoch;
INSERT INTO telemetry_hourly_pending ({_ALL}) {_STAGED};
"""
_COUNT_NEW = "SELECT count(*) FROM ins"
# The count first; then, only when some rows were not new ($1: the batch's size), the staged (device_id,
# epoch) of those that were: exactly the floats sent, so the caller matches them to its rows without any
# rounding of its own. The usual batch is all new and gets one number back.
_NEW_KEYS = f""", counted AS (SELECT count(*) AS inserted FROM ins)
SELECT inserted, NULL::integer AS device_id, NULL::float8 AS epoch FROM counted
UNION ALL
SELECT NULL, s.device_id, s.epoch
FROM {STAGING_TABLE} AS s JOIN ins ON ins.device_id = s.device_id AND ins.ts = to_timestamp(s.epoch)
WHERE (SELECT inserted FROM counted) < $1
"""

# One fold at a time across processors: each fold then sees every earlier fold's rows, so the counters'
# merges (and `increase`, read from the neighbouring hour) are never computed from a half-made picture.
FOLD_LOCK = 0x534D_4654  # "SMFT"


def _counter_keys(name: str, flag: str) -> str:
    return (
        f"array_agg(device_id) FILTER (WHERE {name}_{flag}) AS {name}_{flag}_devices,"
        f" array_agg(bucket) FILTER (WHERE {name}_{flag}) AS {name}_{flag}_buckets"
    )


# Deleting and rolling up in one statement: a reading leaves the pending table exactly when it is counted.
# Per counter, it returns the hours with its readings (their increase is set next) and those whose rise
# must be recounted.
_FOLD = (
    f"""
WITH moved AS (
    DELETE FROM telemetry_hourly_pending
    RETURNING {_ALL}
), hourly AS ("""
    + _roll_up("moved")
    + f"""
)
SELECT (SELECT count(*) FROM moved) AS folded{
        "".join(f", {_counter_keys(name, 'has')}, {_counter_keys(name, 'stale')}" for name in _COUNTER_NAMES)
    }
FROM hourly
"""
)

_KEYS = "unnest($1::int[], $2::timestamptz[]) AS k(device_id, bucket)"


def _recount(name: str) -> str:
    """The hours of counter `name` a late reading landed inside of: first, last and rise recounted from the
    readings already folded, i.e. stored and no longer pending (those still pending are added by the next
    fold, as for any hour)."""
    return f"""
WITH folded AS (
    SELECT k.device_id, k.bucket, t.ts, t.{name} AS value,
           lag(t.{name}) OVER (PARTITION BY k.device_id, k.bucket ORDER BY t.ts) AS previous
    FROM {_KEYS}
    JOIN telemetry AS t
      ON t.device_id = k.device_id AND t.ts >= k.bucket AND t.ts < k.bucket + interval '1 hour'
    WHERE t.{name} IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM telemetry_hourly_pending AS p WHERE p.device_id = t.device_id AND p.ts = t.ts
    )
), hours AS (
    SELECT device_id, bucket, min(ts) AS first_ts, (array_agg(value ORDER BY ts))[1] AS first_value,
           max(ts) AS last_ts, (array_agg(value ORDER BY ts DESC))[1] AS last_value,
           sum({increase_sql("previous", "value")}) AS rise
    FROM folded GROUP BY 1, 2
)
UPDATE {HOURLY_TABLE} AS h SET
    {name}_first_ts = s.first_ts, {name}_first_value = s.first_value, {name}_last_ts = s.last_ts,
    {name}_last_value = s.last_value, {name}_rise = s.rise
FROM hours AS s
WHERE h.device_id = s.device_id AND h.bucket = s.bucket
"""


def _increase(name: str) -> str:
    """Counter `name`'s increase in the given hours: rise plus the step from the last reading before the
    hour, i.e. from the last reading of the device's previous hour with readings. Set for those hours and
    for the next hour with readings after each (its step starts from a reading that may have just changed).
    """
    return f"""
WITH touched AS (SELECT * FROM {_KEYS}), targets AS (
    SELECT device_id, bucket FROM touched
    UNION
    SELECT k.device_id, n.bucket FROM touched AS k
    CROSS JOIN LATERAL (
        SELECT bucket FROM {HOURLY_TABLE} AS n
        WHERE n.device_id = k.device_id AND n.bucket > k.bucket AND n.{name}_count > 0
        ORDER BY n.bucket LIMIT 1
    ) AS n
), computed AS (
    SELECT h.device_id, h.bucket,
           h.{name}_rise + {increase_sql("p.last_value", f"h.{name}_first_value")} AS increase
    FROM targets AS g
    JOIN {HOURLY_TABLE} AS h ON h.device_id = g.device_id AND h.bucket = g.bucket
    LEFT JOIN LATERAL (
        SELECT {name}_last_value AS last_value FROM {HOURLY_TABLE} AS p
        WHERE p.device_id = g.device_id AND p.bucket < g.bucket AND p.{name}_count > 0
        ORDER BY p.bucket DESC LIMIT 1
    ) AS p ON true
)
UPDATE {HOURLY_TABLE} AS h SET {name}_increase = c.increase
FROM computed AS c
WHERE h.device_id = c.device_id AND h.bucket = c.bucket AND h.{name}_increase IS DISTINCT FROM c.increase
"""


_RECOUNT = {name: _recount(name) for name in _COUNTER_NAMES}
_INCREASE = {name: _increase(name) for name in _COUNTER_NAMES}

_LOCK_DEVICES = "SELECT 1 FROM devices WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE"
# GREATEST and COALESCE skip NULLs: a field the batch said nothing about keeps its value.
_UPDATE_DEVICES = """
UPDATE devices AS d SET
    last_seen = GREATEST(d.last_seen, to_timestamp(v.last_seen)),
    is_online = COALESCE(v.is_online, d.is_online),
    firmware_version = COALESCE(v.firmware_version, d.firmware_version),
    last_ip = COALESCE(v.last_ip, d.last_ip)
FROM unnest($1::int[], $2::float8[], $3::bool[], $4::text[], $5::text[])
    AS v(id, last_seen, is_online, firmware_version, last_ip)
WHERE d.id = v.id
"""


class Presence(NamedTuple):
    """What a batch learned about one device; None means "nothing new, keep what is stored". `last_seen` in
    unix seconds, as a Row's ts. A NamedTuple: ingest makes one per device and batch."""

    device_id: int
    last_seen: float | None
    is_online: bool | None
    firmware_version: str | None
    last_ip: str | None


@dataclass(frozen=True, slots=True)
class WriteResult:
    inserted: int
    # (device_id, ts as in the Row) of the rows that were new, when asked for: what later stages may react
    # to. None when every row was (or when not asked).
    new_keys: set[tuple[int, float]] | None


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
    probably_new: bool = True,
) -> WriteResult:
    """Store `rows` (duplicates of stored readings are skipped) and `presence`, atomically. `probably_new`:
    try the cheaper all-new write first (False when some rows are known to be stored already).

    Guarantees: after it returns, every row is in `telemetry` exactly once, each new row waits exactly once
    in telemetry_hourly_pending (telemetry_hourly includes it from the next `fold_hourly` on), and the
    devices reflect `presence`; if it raises, nothing of the batch is stored.
    """
    await partitions.ensure(connection, _days(rows))
    try:
        return await _write_new_first(connection, rows, presence, want_new_keys, probably_new)
    except asyncpg.CheckViolationError:
        # "no partition of relation found for row": a cached day was dropped meanwhile; retry once.
        partitions.forget()
        await partitions.ensure(connection, _days(rows))
        return await _write_new_first(connection, rows, presence, want_new_keys, probably_new)


async def _write_new_first(
    connection: asyncpg.Connection,
    rows: Sequence[Row],
    presence: Sequence[Presence],
    want_new_keys: bool,
    probably_new: bool,
) -> WriteResult:
    if probably_new:
        try:
            return await _write(connection, rows, presence, want_new_keys, all_new=True)
        except asyncpg.UniqueViolationError:
            pass  # some reading was stored before: nothing of the attempt stays (its transaction rolled back)
    return await _write(connection, rows, presence, want_new_keys, all_new=False)


_UNIX_EPOCH = date(1970, 1, 1)
_DAY_OF = (86400.0).__rfloordiv__  # unix seconds -> days since the epoch
_TS = operator.itemgetter(1)


def _days(rows: Sequence[Row]) -> set[date]:
    """The UTC days of the rows' timestamps: the telemetry partitions they go to."""
    # map() rather than a comprehension: the loop over a batch's rows (one per reading) runs in C.
    return {_UNIX_EPOCH + timedelta(days=day) for day in set(map(_DAY_OF, map(_TS, rows)))}


# A fold deletes every pending row it rolls up, and a deleted row's space is only reused once VACUUM has seen
# it: left to autovacuum (off on some servers, and behind on busy ones) the table grows by every reading ever
# folded (68 bytes a reading measured), and each fold scans all of it. So the processor vacuums it after each
# fold: a few milliseconds for an interval's rows (the rows the fold just deleted are reclaimed by the next
# vacuum when batches that began before the fold's commit are still running: one or two intervals' worth).
# SKIP_LOCKED: another processor's vacuum (or autovacuum) does it meanwhile, and PostgreSQL only warns;
# TRUNCATE false: giving the empty end back would take a lock the batches' inserts queue behind.
_VACUUM_PENDING = "VACUUM (SKIP_LOCKED, TRUNCATE false) telemetry_hourly_pending"


async def vacuum_pending(connection: asyncpg.Connection) -> None:
    """Make the space of the rows folded so far reusable (outside a transaction; see _VACUUM_PENDING)."""
    await connection.execute(_VACUUM_PENDING)


async def fold_hourly(connection: asyncpg.Connection, *, unless_folding: bool = False) -> int:
    """Roll the pending readings (see `write_batch`) up into telemetry_hourly; how many.

    One transaction: each pending reading is counted exactly once, even with a crash or a concurrent fold
    (folds take turns). Afterwards every counter hour holds the exact increase of the folded readings,
    whatever order they arrived in: each reading's increase since the reading before it, in the hour of the
    later one (core.services.consumption's rule). `unless_folding`: return 0 at once if another fold is
    under way rather than wait for it and fold after it (the processors' timed folds, see processor.writer).
    """
    async with connection.transaction():
        if unless_folding:
            if not await connection.fetchval("SELECT pg_try_advisory_xact_lock($1)", FOLD_LOCK):
                return 0
        else:
            await connection.execute("SELECT pg_advisory_xact_lock($1)", FOLD_LOCK)
        result = await connection.fetchrow(_FOLD)
        await complete_counters(connection, result)
        return int(result["folded"])


async def complete_counters(connection: asyncpg.Connection, folded: asyncpg.Record) -> None:
    """The rest of a fold, after `_FOLD` returned `folded`: each counter's stale hours recounted, then the
    increase of its hours (in the fold's transaction)."""
    for name in _COUNTER_NAMES:
        if folded[f"{name}_stale_devices"]:
            await connection.execute(
                _RECOUNT[name], folded[f"{name}_stale_devices"], folded[f"{name}_stale_buckets"]
            )
        if folded[f"{name}_has_devices"]:
            await connection.execute(
                _INCREASE[name], folded[f"{name}_has_devices"], folded[f"{name}_has_buckets"]
            )


async def _write(
    connection: asyncpg.Connection,
    rows: Sequence[Row],
    presence: Sequence[Presence],
    want_new_keys: bool,
    *,
    all_new: bool,
) -> WriteResult:
    async with connection.transaction():
        result = WriteResult(0, None)
        if rows:
            await connection.copy_records_to_table(STAGING_TABLE, records=rows, columns=COLUMNS)
            if all_new:
                await connection.execute(_INSERT_ALL_NEW)
                result = WriteResult(len(rows), None)
            else:
                result = await _insert(connection, len(rows), want_new_keys)
        if presence:
            await _update_devices(connection, presence)
    return result


async def _insert(connection: asyncpg.Connection, staged: int, want_new_keys: bool) -> WriteResult:
    if not want_new_keys:
        return WriteResult(int(await connection.fetchval(_INSERT_AND_DEFER + _COUNT_NEW)), None)
    result = _counted(await connection.fetch(_INSERT_AND_DEFER + _NEW_KEYS, staged))
    return WriteResult(result.inserted, None) if result.inserted == staged else result


def _counted(records: Sequence[asyncpg.Record]) -> WriteResult:
    """The (inserted, device_id, epoch) records of _NEW_KEYS and _INSERT_FEW: the count (the one without a
    device), and the keys of the new rows."""
    inserted, keys = 0, set()
    for count, device_id, epoch in records:
        if device_id is None:
            inserted = int(count)
        else:
            keys.add((device_id, epoch))
    return WriteResult(inserted, keys)


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


# ---- A few rows that must not wait for their batch (processor.writer: a crossing written ahead) ----------

_COLUMN_TYPES = (
    "int",
    "float8",
    *("float8" if METRICS[name].is_counter else "real" for name in METRIC_NAMES),
)
_UNNEST = ", ".join(f"${number}::{kind}[]" for number, kind in enumerate(_COLUMN_TYPES, 1))
_GIVEN = f"device_id, epoch, {_METRIC_LIST}"
# As _INSERT_AND_DEFER, rows taken in the same key order (two writers of one key queue, never deadlock); the
# count, then the given (device_id, epoch) of each new row, as _NEW_KEYS.
_INSERT_FEW = f"""
WITH given AS (
    SELECT * FROM unnest({_UNNEST}) AS given({_GIVEN})
), ins AS (
    INSERT INTO telemetry ({_ALL})
    SELECT device_id, to_timestamp(epoch), {_METRIC_LIST} FROM given
    ORDER BY device_id, epoch
    ON CONFLICT (device_id, ts) DO NOTHING
    RETURNING {_ALL}
), pending AS (INSERT INTO telemetry_hourly_pending ({_ALL}) SELECT {_ALL} FROM ins)
SELECT count(*) AS inserted, NULL::integer AS device_id, NULL::float8 AS epoch FROM ins
UNION ALL
SELECT NULL, given.device_id, given.epoch
FROM given JOIN ins ON ins.device_id = given.device_id AND ins.ts = to_timestamp(given.epoch)
"""


async def write_few(
    connection: asyncpg.Connection, rows: Sequence[Row], partitions: PartitionCache
) -> WriteResult:
    """Store `rows` with `write_batch`'s guarantees for rows (a stored reading is skipped, each new one waits
    exactly once in telemetry_hourly_pending), in one autocommitted statement: one round trip, for a handful
    of rows. Presence is left to the batch. Returns the keys of the rows that were new."""
    columns = [list(column) for column in zip(*rows, strict=True)]
    await partitions.ensure(connection, _days(rows))
    try:
        records = await connection.fetch(_INSERT_FEW, *columns)
    except asyncpg.CheckViolationError:
        partitions.forget()  # a cached day was dropped meanwhile (see write_batch)
        await partitions.ensure(connection, _days(rows))
        records = await connection.fetch(_INSERT_FEW, *columns)
    return _counted(records)
