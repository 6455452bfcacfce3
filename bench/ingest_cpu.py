"""CPU per message of the whole ingest pipe: `python -m bench.ingest_cpu [--against DIR] [--rounds 3]`.

On a shared machine the wall figures of bench.ingest say how much CPU the run was given; what carries over
is how much CPU each message costs, wherever it is spent. One private Mosquitto and database with 10 000
devices; per round, a processor is started, sees every device once (the first sight of a topic takes the
slow path), then `--messages` readings are pushed through it flat out. Measured from the first publish of
that backlog until every reading is committed, acked to Mosquitto and folded into the hourly rollup:
the CPU seconds of the processor, of its PostgreSQL backends (by application_name), of Mosquitto and of
the publishers, per message. `--against DIR` runs a processor from another source tree (e.g.
`git worktree add /tmp/base main`) in alternate rounds, for A/B pairs under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench.environment import cpu_seconds, create_fleet_database
from bench.load import run_publishers, split_jobs
from bench.sampling import sampling
from processor.app import APPLICATION_NAME
from sandbox.broker import Broker
from sandbox.database import drop_database
from sandbox.programs import ProcessorProcess

PREFIX = "cpu"
_BACKENDS = "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()"
_RESET = "TRUNCATE telemetry, telemetry_hourly_wide, telemetry_hourly_pending, alert_states"
POLL = 0.25


@dataclass(frozen=True, slots=True)
class Round:
    tree: str
    seconds: float  # first publish → all committed, acked and folded
    drain_seconds: float  # first publish → all committed
    cpu: dict[str, float]  # CPU seconds by process group

    def micros(self, messages: int) -> dict[str, float]:
        return {name: 1e6 * seconds / messages for name, seconds in self.cpu.items()}


class _Processor(ProcessorProcess):
    """A processor from another source tree (`python -m processor` with that tree as its cwd)."""

    def __init__(self, tree: Path, *args: object, **kwargs: str) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.tree = tree

    def start(self) -> None:
        self.start_offset = self.console.stat().st_size if self.console.exists() else 0
        with self.console.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "processor"],
                cwd=self.tree,
                env={**os.environ, **self.env},
                stdout=sink,
                stderr=subprocess.STDOUT,
            )


class Bench:
    def __init__(self, workdir: Path, devices: int, messages: int, spy: Path | None = None) -> None:
        self.workdir, self.devices, self.messages = workdir, devices, messages
        self.spy = spy  # py-spy's raw stacks of this tree's processor, measured part only
        self.broker = Broker(workdir=workdir / "mosquitto")
        self.uids = [f"{PREFIX}-{n:05d}" for n in range(1, devices + 1)]
        self.url = ""

    async def round(self, tree: Path | None, number: int) -> Round:
        connection = await asyncpg.connect(self.url)
        try:
            await connection.execute(_RESET)
            client_id = f"cpu-processor-{number}"
            if tree is None:
                processor = ProcessorProcess(self.url, self.broker, self.workdir, client_id=client_id)
            else:
                processor = _Processor(tree, self.url, self.broker, self.workdir, client_id=client_id)
            await processor.launch()
            try:
                await self._push(connection, len(self.uids))  # every topic seen once
                await self._settled(connection, processor)
                return await self._measured(connection, processor, str(tree or "this tree"))
            finally:
                await processor.stop(within=60)
        finally:
            await connection.close()

    async def _measured(
        self, connection: asyncpg.Connection, processor: ProcessorProcess, tree: str
    ) -> Round:
        backends = [row["pid"] for row in await connection.fetch(_BACKENDS, APPLICATION_NAME)]
        broker = self.broker.process.pid if self.broker.process else 0
        groups = {"processor": [processor.pid], "mosquitto": [broker]}
        before = {pid: cpu_seconds(pid) for pids in groups.values() for pid in pids}
        before |= {pid: cpu_seconds(pid) for pid in backends}
        started = time.monotonic()
        with contextlib.ExitStack() as stack:
            if self.spy is not None and not isinstance(processor, _Processor):
                raw = self.spy.with_suffix(f".{processor.pid}.txt")
                stack.enter_context(sampling(processor.pid, raw, [], [], rate=500))
            publishers = await self._push(connection, self.messages)
            drained = time.monotonic()
            await self._settled(connection, processor)
        seconds = time.monotonic() - started
        # Backends the processor opened meanwhile count from zero.
        backends = [row["pid"] for row in await connection.fetch(_BACKENDS, APPLICATION_NAME)]
        groups["its PostgreSQL backends"] = backends
        cpu = {
            name: sum(cpu_seconds(pid) - before.get(pid, 0.0) for pid in pids)
            for name, pids in groups.items()
        }
        cpu["publishers"] = sum(job.cpu_seconds for job in publishers)
        return Round(tree, seconds, drained - started, cpu)

    async def _push(self, connection: asyncpg.Connection, count: int) -> list:  # type: ignore[type-arg]
        """Publish `count` readings flat out; return once they are all committed."""
        target = int(await connection.fetchval("SELECT count(*) FROM telemetry")) + count
        jobs = split_jobs(self.uids, 2, self.broker.host, self.broker.port, messages=count)
        publishing = asyncio.ensure_future(asyncio.to_thread(run_publishers, jobs))
        await _until(connection, "SELECT count(*) >= $1 FROM telemetry", target)
        return await publishing

    async def _settled(self, connection: asyncpg.Connection, processor: ProcessorProcess) -> None:
        """Until the processor acked everything and the hourly fold took every pending row."""
        await _until(connection, "SELECT NOT EXISTS (SELECT 1 FROM telemetry_hourly_pending)")
        await asyncio.sleep(0.5)  # the last acks leave right after the last commit

    async def run(self, trees: list[Path | None], rounds: int) -> list[Round]:
        self.broker.start()
        name = ""
        try:
            name, self.url, _ = await create_fleet_database(PREFIX, self.devices)
            results = []
            for number in range(rounds):
                for tree in trees:
                    result = await self.round(tree, number)
                    print(_line(result, self.messages), flush=True)
                    results.append(result)
            return results
        finally:
            self.broker.stop()
            if name:
                await drop_database(name)


async def _until(connection: asyncpg.Connection, condition: str, *args: object) -> None:
    """Poll `condition` (a query returning one boolean) until it holds."""
    while not await connection.fetchval(condition, *args):  # noqa: ASYNC110  # PostgreSQL does not notify us
        await asyncio.sleep(POLL)


def _line(result: Round, messages: int) -> str:
    parts = ", ".join(f"{name} {value:.1f}" for name, value in result.micros(messages).items())
    return (
        f"  {result.tree}: {parts} µs/msg; drained in {result.drain_seconds:.2f} s"
        f" ({messages / result.drain_seconds:,.0f} msg/s wall), load {os.getloadavg()[0]:.1f}"
    )


def summary(results: list[Round], messages: int) -> None:
    by_tree: dict[str, list[Round]] = defaultdict(list)
    for result in results:
        by_tree[result.tree].append(result)
    print(f"\nmedian CPU µs per message over {messages:,} messages (rounds: {len(results)}):")
    for tree, rounds in by_tree.items():
        names = list(rounds[0].cpu)
        medians = {name: statistics.median(r.micros(messages)[name] for r in rounds) for name in names}
        pipe = medians["processor"] + medians["its PostgreSQL backends"] + medians["mosquitto"]
        cells = ", ".join(f"{name} {value:.1f}" for name, value in medians.items())
        print(f"  {tree}: {cells}; processor+PostgreSQL+Mosquitto {pipe:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_cpu", description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="another source tree, run in alternate rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=60_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--spy", type=Path, help="py-spy this tree's processor: raw stacks to FILE.<pid>.txt")
    args = parser.parse_args()
    trees: list[Path | None] = [None] if args.against is None else [args.against.resolve(), None]
    print(f"load average before start {os.getloadavg()[0]:.1f}; {args.messages:,} messages per round")
    with tempfile.TemporaryDirectory(prefix="smartair-bench-") as workdir:
        bench = Bench(Path(workdir), args.devices, args.messages, args.spy)
        results = asyncio.run(bench.run(trees, args.rounds))
    summary(results, args.messages)


if __name__ == "__main__":
    main()
