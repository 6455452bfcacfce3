"""Catching up after an outage: `python -m bench.recovery [--backlog 150000] [--window 60]`.

The processor runs once (its persistent session now exists), stops; the fleet goes on publishing, so the
broker queues `--backlog` readings for it; then the processor starts again. Printed: how long until every
queued reading is committed, or, if it is not within `--window`, how far it got and the processor's
reconnect lines — the symptom of the subscribe-behind-the-backlog problem in bench/ingest_findings.md.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import asyncpg

from bench.environment import create_fleet_database
from bench.load import run_publishers, split_jobs
from sandbox.broker import Broker
from sandbox.database import drop_database
from sandbox.programs import ProcessorProcess

DEVICES = 10_000


async def recover(backlog: int, window: float, workdir: Path) -> None:
    broker = Broker(workdir=workdir / "mosquitto")
    broker.start()
    name, url, _ = await create_fleet_database("bench", DEVICES)
    processor = ProcessorProcess(url, broker, workdir, client_id="bench-recovery")
    try:
        await processor.launch()
        await processor.stop(within=60)
        uids = [f"bench-{n:05d}" for n in range(1, DEVICES + 1)]
        await asyncio.to_thread(
            run_publishers, split_jobs(uids, 2, broker.host, broker.port, messages=backlog)
        )
        print(f"{backlog:,} readings queued while the processor was down; starting it again")
        processor.start()
        started = time.monotonic()
        count = await _count_until(url, backlog, started + window)
        elapsed = time.monotonic() - started
    finally:
        await processor.stop(within=60)
        broker.stop()
        await drop_database(name)
    if count >= backlog:
        print(f"caught up in {elapsed:.1f} s from process start ({backlog / elapsed:,.0f} readings/s)")
        return
    print(f"NOT caught up: {count:,} of {backlog:,} readings committed after {window:.0f} s")
    reconnects = [line for line in processor.output().splitlines() if "connection lost" in line]
    print(f"processor lost its MQTT connection {len(reconnects)} times, e.g.:")
    for line in reconnects[:3]:
        print(f"  {line}")


async def _count_until(url: str, target: int, deadline: float) -> int:
    connection = await asyncpg.connect(url)
    try:
        count = 0
        while count < target and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            count = int(await connection.fetchval("SELECT count(*) FROM telemetry"))
        return count
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.recovery", description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=150_000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds to wait for the catch-up")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smartair-bench-") as workdir:
        asyncio.run(recover(args.backlog, args.window, Path(workdir)))


if __name__ == "__main__":
    main()
