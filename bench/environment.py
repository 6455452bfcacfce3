"""The benchmark's private world: its own database (real alembic schema), Mosquitto, fleet and processor.

Everything is created for one run and removed afterwards, like the test suite does (and with the same
helpers from tests/support), so a benchmark never touches a developer's data.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from tests.support.broker import Broker
from tests.support.database import ROOT, alembic, create_database, drop_database

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
    name, url = await create_database("smartair_bench")
    result = alembic(url, "upgrade", "head")
    if result.returncode != 0:
        await drop_database(name)
        raise RuntimeError(f"alembic upgrade failed: {result.stderr[-2000:]}")
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(_REGISTER_FLEET, prefix, devices)
        await connection.execute(_DEFAULT_RULES)
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


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine, in clock ticks, for a utilisation over an interval."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


@dataclass
class ProcessorRun:
    """`python -m processor` as production runs it, pointed at the private database and broker."""

    database_url: str
    broker: Broker
    workdir: Path
    client_id: str = field(default_factory=lambda: f"bench-processor-{os.getpid()}")
    profile_to: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "MQTT_HOST": self.broker.host,
            "MQTT_PORT": str(self.broker.port),
            "MQTT_CLIENT_ID": self.client_id,
        }
        command = [sys.executable, "-m", "processor"]
        if self.profile_to is not None:
            command = [sys.executable, "-m", "cProfile", "-o", str(self.profile_to), "-m", "processor"]
        self.log_path = self.workdir / f"processor-{time.monotonic_ns()}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_connected(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while "mqtt connected" not in self.log():
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"processor exited:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"processor did not connect within {within} s:\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def stop(self, within: float = 60.0) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else 0

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""
