"""The schema is built and removed by Alembic alone, on an empty database."""

from __future__ import annotations

import asyncpg

from sandbox.database import alembic, create_database, drop_database

EXPECTED_TABLES = {
    "users",
    "devices",
    "user_devices",
    "device_configs",
    "telemetry",
    "telemetry_hourly",
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
