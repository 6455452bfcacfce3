"""Where a telemetry batch's database time goes: `python -m bench.write_path [--rows 5000] [--rounds 5]`.

Runs the statements of core.telemetry_store one by one on a private database with 10 000 registered
devices, timing each: COPY into staging, the INSERT … ON CONFLICT with the hourly rollup, the devices'
presence update (lock + UPDATE), and the commit. Then the same batch through `write_batch` as a whole.
The figure to compare with the ingest benchmark: rows/s of the whole write path, PostgreSQL's share only.
Last, the processor's batch (rollup deferred, no device row to rewrite) and one fold of those batches; then
the steady state (each fold adding to hours already rolled up), for air monitors alone and for a mixed fleet
where every third device is an electricity meter (a counter: its fold also keeps each hour's increase); and
the fold's CPU per reading when each device sent one reading since the last fold (production's pattern) or
six (about the ingest benchmark's).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from datetime import UTC, datetime

import asyncpg

from bench.environment import cpu_seconds, create_fleet_database
from core import telemetry_store
from core.telemetry_store import Presence, Row
from sandbox.database import drop_database

AIR = {"co2": 800.0, "temperature": 22.5, "humidity": 41.0}
# What the ingest benchmark's devices send (device.simulator's air monitor): five metrics, five rollup rows.
AIR_MONITOR = {**AIR, "pm25": 12.0, "voc": 0.3}
# Readings of each device between two folds: production's (reports every 30 s, a fold every 5 s) and about
# the ingest benchmark's (10 000 devices at tens of thousands of messages/s).
READINGS_PER_FOLD = (1, 6)
FOLD_BATCHES = 5  # batches written between two folds (the processor folds every 5 s)
STEPS = ("copy", "insert+rollup", "lock devices", "update devices", "commit")
# The baseline: the INSERT with the rollup in the batch's own transaction, as it was before the rollup was
# deferred (core.telemetry_store only defers now).
_INSERT_AND_ROLL_UP = telemetry_store._INSERT + ", hourly AS (" + telemetry_store._roll_up("ins") + "\n)\n"
# The same INSERT without the rollup CTE, to tell the two apart.
_INSERT_ONLY = f"""
INSERT INTO telemetry (device_id, ts, co2, temperature, humidity, pm25, voc)
SELECT device_id, to_timestamp(epoch), co2, temperature, humidity, pm25, voc
FROM {telemetry_store.STAGING_TABLE}
ORDER BY device_id, epoch
ON CONFLICT (device_id, ts) DO NOTHING
"""


def _batch(
    device_ids: list[int],
    rows: int,
    round_number: int,
    *,
    meters: bool = False,
    air: dict[str, float] = AIR,
    first: int = 0,
) -> tuple[list[Row], list[Presence]]:
    now = time.time()
    batch: list[Row] = []
    meter = {"energy_kwh": 1000.0 + round_number * 0.01, "power_w": 600.0}
    for index in range(rows):
        ts = datetime.fromtimestamp(now + round_number * 0.001 + index * 1e-6, UTC)
        device_id = device_ids[(first + index) % len(device_ids)]
        batch.append(telemetry_store.row(device_id, ts, meter if meters and device_id % 3 == 0 else air))
    presence = [
        Presence(device_id, now, True, "2.0.1", "10.0.0.1") for device_id in {row[0] for row in batch}
    ]
    return batch, presence


async def _timed_steps(
    connection: asyncpg.Connection, rows: list[Row], presence: list[Presence]
) -> list[float]:
    """The statements of telemetry_store._write, each timed (same SQL, same order)."""
    ordered = sorted(presence, key=lambda item: item.device_id)
    ids = [item.device_id for item in ordered]
    marks = [time.perf_counter()]
    transaction = connection.transaction()
    await transaction.start()
    await connection.copy_records_to_table(
        telemetry_store.STAGING_TABLE, records=rows, columns=telemetry_store.COLUMNS
    )
    marks.append(time.perf_counter())
    await connection.fetchval(_INSERT_AND_ROLL_UP + telemetry_store._COUNT_NEW)
    marks.append(time.perf_counter())
    await connection.execute(telemetry_store._LOCK_DEVICES, ids)
    marks.append(time.perf_counter())
    await connection.execute(
        telemetry_store._UPDATE_DEVICES,
        ids,
        [item.last_seen for item in ordered],
        [item.is_online for item in ordered],
        [item.firmware_version for item in ordered],
        [item.last_ip for item in ordered],
    )
    marks.append(time.perf_counter())
    await transaction.commit()
    marks.append(time.perf_counter())
    return [later - earlier for earlier, later in itertools.pairwise(marks)]


async def measure(rows: int, rounds: int) -> None:
    name, url, ids = await create_fleet_database("bench", 10_000)
    device_ids = sorted(ids.values())
    connection = await asyncpg.connect(url)
    try:
        await telemetry_store.prepare(connection)
        partitions = telemetry_store.PartitionCache()
        await partitions.ensure(connection, [datetime.now(UTC).date()])
        steps: list[list[float]] = []
        for round_number in range(rounds):
            steps.append(await _timed_steps(connection, *_batch(device_ids, rows, round_number)))
        insert_only = []
        for round_number in range(rounds):
            batch, _ = _batch(device_ids, rows, 100 + round_number)
            async with connection.transaction():
                await connection.copy_records_to_table(
                    telemetry_store.STAGING_TABLE, records=batch, columns=telemetry_store.COLUMNS
                )
                started = time.perf_counter()
                await connection.execute(_INSERT_ONLY)
                insert_only.append(time.perf_counter() - started)
        whole = []
        for round_number in range(rounds, 2 * rounds):
            batch, presence = _batch(device_ids, rows, round_number)
            started = time.perf_counter()
            await telemetry_store.write_batch(connection, batch, presence, partitions)
            whole.append(time.perf_counter() - started)
        # What the processor does now: rollup deferred, and (steady state) no device row needing a rewrite
        # (processor/presence/filter.py); the fold then rolls up all those batches at once.
        deferred = []
        for round_number in range(2 * rounds, 3 * rounds):
            batch, _ = _batch(device_ids, rows, round_number)
            started = time.perf_counter()
            await telemetry_store.write_batch(connection, batch, [], partitions)
            deferred.append(time.perf_counter() - started)
        started = time.perf_counter()
        folded = await telemetry_store.fold_hourly(connection)
        fold = time.perf_counter() - started
        steady = {
            fleet: await _steady_folds(
                connection, device_ids, rows, rounds, partitions, meters=fleet == "mixed"
            )
            for fleet in ("air", "mixed")
        }
        fold_cpu = {
            readings: await _fold_cpu(connection, device_ids, rows, rounds, partitions, readings=readings)
            for readings in READINGS_PER_FOLD
        }
    finally:
        await connection.close()
        await drop_database(name)
    print(f"batches of {rows:,} rows for {min(rows, len(device_ids)):,} devices, median of {rounds} rounds:")
    for step, values in zip(STEPS, zip(*steps, strict=True), strict=True):
        print(f"  {step:<16} {statistics.median(values) * 1000:8.1f} ms")
    print(
        f"  {'(insert alone)':<16} {statistics.median(insert_only) * 1000:8.1f} ms  (the rest is the rollup)"
    )
    total = statistics.median(whole)
    print(f"  {'write_batch':<16} {total * 1000:8.1f} ms  → {rows / total:,.0f} rows/s for PostgreSQL alone")
    total = statistics.median(deferred)
    print(
        f"  {'deferred rollup, no device rows':<16} {total * 1000:8.1f} ms  → {rows / total:,.0f} rows/s"
        " (the processor's batch)"
    )
    print(
        f"  {'fold_hourly':<16} {fold * 1000:8.1f} ms  for {folded:,} pending rows"
        f" ({folded / fold:,.0f} rows/s)"
    )
    for fleet, ((seconds, upsert, counters), count) in steady.items():
        print(
            f"  {'fold, steady, ' + fleet:<16} {seconds * 1000:8.1f} ms  for {count:,} pending rows"
            f" ({count / seconds:,.0f} rows/s){'  (every third device a meter)' if fleet == 'mixed' else ''}"
            f"\n  {'':<16} of which the upsert {upsert * 1000:.1f} ms,"
            f" the counters' recount and increase {counters * 1000:.1f} ms"
        )
    for readings, micros in fold_cpu.items():
        print(
            f"  fold's backend CPU per pending reading, {len(device_ids):,} air monitors"
            f" reporting {readings}× per fold: {micros:.1f} µs"
        )


async def _steady_folds(
    connection: asyncpg.Connection,
    device_ids: list[int],
    rows: int,
    rounds: int,
    partitions: telemetry_store.PartitionCache,
    *,
    meters: bool,
) -> tuple[tuple[float, ...], int]:
    """Median fold times (see `_timed_fold`) and rows when each fold adds FOLD_BATCHES batches to hours
    already rolled up."""
    base = 1000 if meters else 500
    timings: list[tuple[float, float, float]] = []
    folded = 0
    for round_number in range(rounds + 1):
        for batch_number in range(FOLD_BATCHES):
            number = base + round_number * FOLD_BATCHES + batch_number
            batch, _ = _batch(device_ids, rows, number, meters=meters)
            await telemetry_store.write_batch(connection, batch, [], partitions)
        folded, seconds = await _timed_fold(connection)
        if round_number:  # the first fold of the fleet creates its hours; the later ones are the steady state
            timings.append(seconds)
    return tuple(statistics.median(column) for column in zip(*timings, strict=True)), folded


async def _fold_cpu(
    connection: asyncpg.Connection,
    device_ids: list[int],
    rows: int,
    rounds: int,
    partitions: telemetry_store.PartitionCache,
    *,
    readings: int,
) -> float:
    """Median CPU µs of this connection's backend per pending reading folded, in the steady state, when every
    device sent `readings` five-metric readings since the last fold (CPU rather than wall time: this
    machine is shared)."""
    backend = await connection.fetchval("SELECT pg_backend_pid()")
    batches = max(1, readings * len(device_ids) // rows)
    micros = []
    for round_number in range(rounds + 1):
        for batch_number in range(batches):
            number = 2000 + 100 * readings + round_number * batches + batch_number
            batch, _ = _batch(device_ids, rows, number, air=AIR_MONITOR, first=batch_number * rows)
            await telemetry_store.write_batch(connection, batch, [], partitions)
        before = cpu_seconds(backend)
        folded = await telemetry_store.fold_hourly(connection)
        if round_number:  # the first fold of the fleet creates its hours; the later ones are the steady state
            micros.append(1e6 * (cpu_seconds(backend) - before) / folded)
    return statistics.median(micros)


async def _timed_fold(connection: asyncpg.Connection) -> tuple[int, tuple[float, float, float]]:
    """telemetry_store.fold_hourly's statements (same SQL, same order): rows folded, and the seconds of the
    whole fold, of its upsert, and of the counters' recount and increase statements."""
    started = time.perf_counter()
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", telemetry_store.FOLD_LOCK)
        result = await connection.fetchrow(telemetry_store._FOLD)
        upserted = time.perf_counter()
        await telemetry_store.complete_counters(connection, result)
        counters = time.perf_counter()
    ended = time.perf_counter()
    return int(result["folded"]), (ended - started, upserted - started, counters - upserted)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.write_path", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(measure(args.rows, args.rounds))


if __name__ == "__main__":
    main()
