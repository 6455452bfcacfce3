"""The schema is built and removed by Alembic alone, on an empty database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from core import telemetry_store
from core.models.telemetry import telemetry_hourly_wide
from sandbox.database import alembic, create_database, drop_database

EXPECTED_TABLES = {
    "users",
    "devices",
    "user_devices",
    "device_configs",
    "telemetry",
    "telemetry_hourly_wide",
    "telemetry_hourly_pending",
    "alerts",
    "alert_rules",
    "alert_states",
    "device_types",
    "firmware",
    "rollouts",
    "rollout_targets",
    "device_commands",
    "pairing_codes",
    "pairing_attempts",
    "invitations",
    "notification_outbox",
    "live_watchers",
    "device_ownerships",
    "invoices",
    "payment_attempts",
    "payments",
    "payment_methods",
    "refunds",
    "billing_pauses",
    "broadcasts",
    "node_health",
    "error_reports",
    "agent_tokens",
}


@asynccontextmanager
async def migrated_to(revision: str) -> AsyncIterator[tuple[str, asyncpg.Connection]]:
    """A new database migrated up to `revision`, and a connection to it; both gone afterwards."""
    name, url = await create_database("smartair_migrations")
    try:
        assert alembic(url, "upgrade", revision).returncode == 0
        connection = await asyncpg.connect(url)
        try:
            yield url, connection
        finally:
            await connection.close()
    finally:
        await drop_database(name)


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        )
    finally:
        await connection.close()
    return {row["relname"] for row in rows} - {"alembic_version"}


async def test_upgrade_builds_everything_and_downgrade_removes_it() -> None:
    name, url = await create_database("smartair_migrations")
    try:
        for step in (("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head"), ("downgrade", "base")):
            result = alembic(url, *step)
            assert result.returncode == 0, result.stderr
            tables = await _tables(url)
            assert tables == (EXPECTED_TABLES if step[0] == "upgrade" else set())
    finally:
        await drop_database(name)


async def test_telemetry_is_partitioned_by_day_and_old_days_can_be_dropped(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("SELECT telemetry_ensure_partitions('2020-01-01', '2020-01-03')")
        await connection.execute(
            "INSERT INTO telemetry (device_id, ts, co2) VALUES (1, '2020-01-02 12:00+00', 500)"
        )
        dropped = await connection.fetchval("SELECT telemetry_drop_partitions_before('2020-01-03')")
        remaining = await connection.fetchval("SELECT count(*) FROM telemetry WHERE ts < '2020-01-04'")
        today = await connection.fetchval(
            "SELECT to_regclass('telemetry_' || to_char(current_date, 'YYYYMMDD')) IS NOT NULL"
        )
    finally:
        await connection.close()
    assert dropped == 2
    assert remaining == 0
    assert today


async def test_the_counter_rollup_migration_gives_existing_meter_hours_their_increase() -> None:
    """Hours rolled up before the counter columns existed get their first/last readings and increase from
    the readings already folded; a reading still pending is added by the next fold, once."""
    async with migrated_to("ota_soak") as (url, connection):  # the revision before counter_rollup
        await connection.execute(_OLD_ROLLUP)
        assert alembic(url, "upgrade", "head").returncode == 0
        migrated = await connection.fetch(_COUNTER_HOURS)
        assert await telemetry_store.fold_hourly(connection) == 1
        folded = await connection.fetch(_COUNTER_HOURS)
    # 10:00 100 → 10:30 101; 11:00 0.5 on a new register (a reset: +0.5, not -100.5) → 11:30 1.5.
    assert [tuple(row) for row in migrated] == [(100.0, 101.0, 1.0, 1.0, 2), (0.5, 1.5, 1.0, 1.5, 2)]
    # The pending 11:45 reading (2.0) joins its hour: +0.5.
    assert [tuple(row) for row in folded] == [(100.0, 101.0, 1.0, 1.0, 2), (0.5, 2.0, 1.5, 2.0, 3)]


# A meter's readings and their hourly rows as the fold made them before `counter_rollup`; 11:45 still pending.
_OLD_ROLLUP = """
SELECT telemetry_ensure_partitions('2026-10-01', '2026-10-02');
INSERT INTO telemetry (device_id, ts, energy_kwh) VALUES
    (1, '2026-10-01 10:00+00', 100), (1, '2026-10-01 10:30+00', 101),
    (1, '2026-10-01 11:00+00', 0.5), (1, '2026-10-01 11:30+00', 1.5), (1, '2026-10-01 11:45+00', 2.0);
INSERT INTO telemetry_hourly_pending (device_id, ts, energy_kwh) VALUES (1, '2026-10-01 11:45+00', 2.0);
INSERT INTO telemetry_hourly (device_id, bucket, metric, min, max, sum, count) VALUES
    (1, '2026-10-01 10:00+00', 'energy_kwh', 100, 101, 201, 2),
    (1, '2026-10-01 11:00+00', 'energy_kwh', 0.5, 1.5, 2.0, 2);
"""
_COUNTER_HOURS = """
SELECT first_value, last_value, rise, increase, count FROM telemetry_hourly
WHERE device_id = 1 AND metric = 'energy_kwh' ORDER BY bucket
"""


async def test_the_hourly_wide_migration_keeps_every_rollup_row_both_ways() -> None:
    """The rollup moves to one row per device and hour; telemetry_hourly, now a view of it, shows the same
    rows (an air monitor's gauges, a meter's counter hour), and the downgrade gives the table back."""
    async with migrated_to("offline_index") as (url, connection):  # the revision before hourly_wide
        await connection.execute(_NARROW_ROLLUP)
        before = await connection.fetch(_ALL_HOURS)
        assert alembic(url, "upgrade", "head").returncode == 0
        upgraded = await connection.fetch(_ALL_HOURS)
        wide = await connection.fetchval("SELECT count(*) FROM telemetry_hourly_wide")
        assert alembic(url, "downgrade", "offline_index").returncode == 0
        downgraded = await connection.fetch(_ALL_HOURS)
    assert len(before) == 4
    assert wide == 2
    assert [tuple(row) for row in upgraded] == [tuple(row) for row in before]
    assert [tuple(row) for row in downgraded] == [tuple(row) for row in before]


_NARROW_ROLLUP = """
INSERT INTO telemetry_hourly (
    device_id, bucket, metric, min, max, sum, count,
    first_ts, first_value, last_ts, last_value, rise, increase
) VALUES
    (1, '2026-10-01 10:00+00', 'co2', 500, 700, 1800, 3, NULL, NULL, NULL, NULL, NULL, NULL),
    (1, '2026-10-01 10:00+00', 'humidity', 40, 41.5, 81.5, 2, NULL, NULL, NULL, NULL, NULL, NULL),
    (2, '2026-10-01 10:00+00', 'energy_kwh', 100, 101, 201, 2,
     '2026-10-01 10:00+00', 100, '2026-10-01 10:30+00', 101, 1, 1.25),
    (2, '2026-10-01 10:00+00', 'power_w', 600, 600, 1200, 2, NULL, NULL, NULL, NULL, NULL, NULL);
"""
_ALL_HOURS = "SELECT * FROM telemetry_hourly ORDER BY device_id, bucket, metric"


async def test_the_rollup_table_has_a_column_for_every_part_of_every_catalogue_metric(
    database_url: str,
) -> None:
    """The fold writes the columns core.models declares: a metric added to the catalogue without its
    migration would make every fold fail."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'telemetry_hourly_wide'"
        )
    finally:
        await connection.close()
    assert {row["column_name"] for row in rows} == {column.name for column in telemetry_hourly_wide.columns}
