"""The benchmark's private world: its own database (real alembic schema), Mosquitto, fleet and processor.

Everything is created for one run and removed afterwards with the same sandbox/ parts the test suite uses
(private database and broker, the programs as child processes), so a benchmark never touches a developer's
data.
"""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg

from sandbox.database import migrated_database

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

_REGISTER_FLEET = """
WITH owner AS (
    INSERT INTO users (telegram_id, first_name) VALUES (1, 'bench') RETURNING id
), fleet AS (
    INSERT INTO devices (device_uid, device_type, firmware_version, paired_at)
    SELECT $1 || '-' || lpad(n::text, 5, '0'), 'co2', '2.0.1', now() FROM generate_series(1, $2::int) AS n
    RETURNING id
)
INSERT INTO user_devices (user_id, device_id, role)
SELECT owner.id, fleet.id, 'owner' FROM owner CROSS JOIN fleet
"""
# The default CO2 rule of SPEC section 5, so alert evaluation has something to evaluate.
_DEFAULT_RULES = """
INSERT INTO alert_rules (device_id, metric, direction, threshold, clear_level, hold_seconds, critical)
SELECT id, 'co2', 'above', 1000, 900, 60, 2000 FROM devices
"""


async def create_fleet_database(prefix: str, devices: int) -> tuple[str, str, dict[str, int]]:
    """A fresh database with the whole schema and `devices` owned devices; (name, url, uid → id)."""
    name, url = await migrated_database("smartair_bench")
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(_REGISTER_FLEET, prefix, devices)
        await connection.execute(_DEFAULT_RULES)
        # Planner statistics, as autovacuum would have gathered in a database in use (it is off here).
        await connection.execute("ANALYZE")
        rows = await connection.fetch("SELECT device_uid, id FROM devices")
    finally:
        await connection.close()
    return name, url, {row["device_uid"]: row["id"] for row in rows}


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu_seconds(pid: int) -> float:
    """CPU used so far by `pid` and every live process under it (the bot, its forkserver and workers)."""
    return sum(cpu_seconds(each) for each in _tree(pid))


def _tree(pid: int) -> list[int]:
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                waiting += [int(child) for child in children.read_text().split()]
            except OSError:  # the task ended meanwhile
                continue
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine, in clock ticks, for a utilisation over an interval."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))
