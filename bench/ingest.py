"""Ingest benchmark (SPEC section 9): `python -m bench.ingest [--quick] [--profile FILE] [--processors N]`.

One run, one private Mosquitto and database, 10 000 registered devices, and side by side:
  (a) what the broker hands a bare subscriber: mosquitto_sub (C), a do-nothing aiomqtt subscriber and a
      bulk-reading asyncio one (bench/wire.py);
  (b) a naive consumer, one INSERT + commit per message;
  (c) the processor (`python -m processor`, a subprocess), messages/s from Mosquitto into PostgreSQL;
  (d) publish → committed latency p50/p99 at a fixed offered load (default 10 000 msg/s).
(a) and (b) drain a backlog queued beforehand for their persistent sessions, so no publisher competes for
the CPU while they are measured. (c) is connected first, then the publishers push the same backlog flat
out: timed from the first publish to the last commit, split into "while publishing" and "draining alone".
Catching up after an outage is bench/recovery.py; bench/ingest_findings.md has the figures and the hot spots.
(d) runs publishers and processor together at a fixed rate, as in life. `--processors N` runs N processors
in one shared-subscription group ($share/processor/..., SPEC 10) for (c) and (d).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg

from bench import consumers
from bench.consumers import Drained
from bench.environment import cpu_seconds, create_fleet_database, machine_busy
from bench.latency import MAX_SETTLE, POLL, LatencyProbe
from bench.load import JobResult, run_publishers, split_jobs
from bench.report import Row, print_table
from bench.sustained import Sustained, sustained
from processor.app import APPLICATION_NAME
from sandbox.broker import Broker
from sandbox.database import drop_database
from sandbox.programs import ProcessorProcess

PREFIX = "bench"
BASELINE_SESSIONS = ("bench-c", "bench-aiomqtt", "bench-bulk", "bench-naive")
_PROCESSOR_BACKENDS = (
    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()"
)
TARGET_RATE = 30_000
TARGET_RATIO = 10
TARGET_P99_MS = 500


@dataclass(frozen=True, slots=True)
class Plan:
    devices: int = 10_000
    publishers: int = 2
    qos: int = 1
    backlog: int = 200_000  # messages queued for each baseline consumer, and pushed through the processor
    baseline_window: float = 15.0
    naive_window: float = 10.0
    processor_window: float = 30.0
    rate: float = 10_000.0
    duration: float = 30.0
    probes: int = 25
    # Processes in one shared-subscription group ($share/processor/..., SPEC 10) for (c) and (d); 1: one
    # processor on plain subscriptions.
    processors: int = 1
    types: tuple[str, ...] = (
        "air",
    )  # device kinds in turn (device.fleet.MODELS): air,meter,host is a mixed fleet


DEFAULT = Plan()
QUICK = Plan(backlog=60_000, baseline_window=8.0, naive_window=5.0, processor_window=15.0, duration=10.0)


@dataclass
class CpuWatch:
    """CPU cores used by groups of processes, and the machine's busy share, between start and `read()`.

    A process that appears later (the processor opens its PostgreSQL connections lazily) counts from 0.
    """

    pids: dict[str, list[int]]

    def __post_init__(self) -> None:
        self._wall = time.monotonic()
        self._start = {pid: cpu_seconds(pid) for pids in self.pids.values() for pid in pids}
        self._machine = machine_busy()

    def read(self, late: dict[str, list[int]] | None = None) -> dict[str, float]:
        wall = time.monotonic() - self._wall
        groups = {**self.pids, **(late or {})}
        used = {
            name: sum(cpu_seconds(pid) - self._start.get(pid, 0.0) for pid in pids) / wall
            for name, pids in groups.items()
        }
        busy, total = machine_busy()
        used["machine busy %"] = 100 * (busy - self._machine[0]) / max(1.0, total - self._machine[1])
        return used


@dataclass
class Results:
    prefill: list[JobResult] | None = None
    c_sub: Drained | None = None
    bare: Drained | None = None
    bulk: Drained | None = None
    naive: Drained | None = None
    processor: Sustained | None = None
    flat_out: list[JobResult] | None = None
    processor_cpu: dict[str, float] | None = None
    live_offered: float = 0.0
    live_committed: float = 0.0
    live_cpu: dict[str, float] | None = None
    live_publishers: list[JobResult] | None = None
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    samples: int = 0
    expected_samples: int = 0
    timeline: list[tuple[float, float, float]] | None = None
    poll_gaps: list[float] | None = None


class IngestBenchmark:
    def __init__(self, plan: Plan, workdir: Path, profile: Path | None) -> None:
        self.plan, self.workdir, self.profile = plan, workdir, profile
        self.broker = Broker(workdir=workdir / "mosquitto")
        self.results = Results()
        self.uids = [f"{PREFIX}-{n:05d}" for n in range(1, plan.devices + 1)]
        self.database_name = ""
        self.database_url = ""
        self.device_ids: dict[str, int] = {}

    async def run(self) -> Results:
        self.broker.start()
        try:
            name, url, ids = await create_fleet_database(PREFIX, self.plan.devices)
            self.database_name, self.database_url, self.device_ids = name, url, ids
            await self._drained_consumers()
            await self._live_latency()
        finally:
            self.broker.stop()
            if self.database_name:
                await drop_database(self.database_name)
        return self.results

    # ---- (a) (b) (c): drain a queued backlog ---------------------------------------------------------

    async def _drained_consumers(self) -> None:
        plan, broker = self.plan, self.broker
        for session in BASELINE_SESSIONS:
            await consumers.open_session(broker, session)
        say(f"queueing {plan.backlog:,} readings for each of the {len(BASELINE_SESSIONS)} baseline consumers")
        self.results.prefill = await asyncio.to_thread(
            run_publishers,
            split_jobs(
                self.uids,
                plan.publishers,
                broker.host,
                broker.port,
                messages=plan.backlog,
                qos=plan.qos,
                types=plan.types,
            ),
        )
        say("(a) mosquitto_sub")
        self.results.c_sub = await asyncio.to_thread(
            consumers.drain_with_mosquitto_sub, broker, "bench-c", plan.backlog, plan.baseline_window
        )
        say("(a) bare aiomqtt subscriber")
        self.results.bare = await consumers.drain_with_aiomqtt(
            broker, "bench-aiomqtt", plan.backlog, plan.baseline_window
        )
        say("(a) bulk asyncio subscriber")
        self.results.bulk = await consumers.drain_in_bulk(
            broker, "bench-bulk", plan.backlog, plan.baseline_window
        )
        say("(b) naive consumer")
        self.results.naive = await consumers.drain_naively(
            broker,
            "bench-naive",
            database_url=self.database_url,
            device_ids=self.device_ids,
            count=plan.backlog,
            window=plan.naive_window,
        )
        for session in BASELINE_SESSIONS:
            await consumers.close_session(broker, session)
        await self._execute("TRUNCATE telemetry, telemetry_hourly")
        say("(c) processor, publishers flat out")
        await self._processor_sustained()

    async def _processor_sustained(self) -> None:
        """Publishers push the backlog flat out while the processor consumes; timed from the first publish
        to the last row committed. The two halves tell apart "with publishers competing for the CPU" and
        "draining alone"."""
        plan, broker = self.plan, self.broker
        processors = await self._launch_processors("bench-processor-flat-out", self.profile)
        connection = await asyncpg.connect(self.database_url)
        try:
            watch = await self._cpu_watch(processors)
            jobs = split_jobs(
                self.uids, plan.publishers, broker.host, broker.port, messages=plan.backlog, types=plan.types
            )
            publishing = asyncio.ensure_future(
                asyncio.to_thread(run_publishers, [replace(j, qos=plan.qos) for j in jobs])
            )
            samples = await self._count_until(connection, publishing)
            self.results.processor_cpu = await self._cpu_read(watch)
            self.results.flat_out = await publishing
        finally:
            await connection.close()
            for processor in processors:
                await processor.stop(within=60)
        self.results.processor = sustained(samples, self.results.flat_out, plan.backlog)

    async def _count_until(
        self, connection: asyncpg.Connection, publishing: asyncio.Future[list[JobResult]]
    ) -> list[tuple[float, int]]:
        """(time, rows committed) every 0.1 s until the backlog is in or the window after publishing ends."""
        samples: list[tuple[float, int]] = []
        published_at = 0.0
        while True:
            count = int(await connection.fetchval("SELECT count(*) FROM telemetry"))
            now = time.monotonic()
            samples.append((now, count))
            if publishing.done() and not published_at:
                published_at = now
            if count >= self.plan.backlog or (
                published_at and now - published_at > self.plan.processor_window
            ):
                return samples
            await asyncio.sleep(0.1)

    # ---- (d): live, fixed offered load ---------------------------------------------------------------------

    async def _live_latency(self) -> None:
        plan = self.plan
        say(f"(d) latency at {plan.rate:,.0f} msg/s for {plan.duration:.0f} s")
        processors = await self._launch_processors("bench-processor-live", None)
        step = max(1, len(self.uids) // plan.probes)
        probe = LatencyProbe(self.database_url, [self.device_ids[uid] for uid in self.uids[::step]])
        publishing_done = asyncio.Event()
        watching = asyncio.create_task(probe.run(publishing_done))
        watch = await self._cpu_watch(processors)
        try:
            jobs = split_jobs(
                self.uids,
                plan.publishers,
                self.broker.host,
                self.broker.port,
                rate=plan.rate,
                duration=plan.duration,
                types=plan.types,
            )
            jobs = [replace(job, qos=plan.qos) for job in jobs]
            self.results.live_publishers = await asyncio.to_thread(run_publishers, jobs)
            self.results.live_cpu = await self._cpu_read(watch)
            committed = await self._fetchval(
                "SELECT count(*) FROM telemetry WHERE ts >= $1", probe.since_datetime()
            )
            publishing_done.set()
            await watching
        finally:
            for processor in processors:
                await processor.stop(within=60)
        sent = sum(job.sent for job in self.results.live_publishers)
        committed = await self._fetchval(
            "SELECT count(*) FROM telemetry WHERE ts >= $1", probe.since_datetime()
        )
        self.results.live_offered = sent / plan.duration
        self.results.live_committed = committed / plan.duration
        self.results.p50_ms = 1000 * probe.percentile(0.50)
        self.results.p99_ms = 1000 * probe.percentile(0.99)
        self.results.samples = len(probe.latencies)
        self.results.expected_samples = round(sent * len(probe.device_ids) / len(self.uids))
        self.results.timeline = probe.timeline()
        self.results.poll_gaps = probe.poll_gaps

    # ---- helpers ------------------------------------------------------------------------------------------

    async def _launch_processors(self, client_id: str, profile: Path | None) -> list[ProcessorProcess]:
        """The plan's processors, connected; several share one group (only the first is profiled)."""
        count = self.plan.processors
        # A group per phase: the previous phase's processors keep persistent sessions in their group, and
        # the broker goes on queueing their share for them after they stop: this phase would see only part.
        group = {"MQTT_SHARED_GROUP": client_id} if count > 1 else {}
        processors = [
            ProcessorProcess(
                self.database_url,
                self.broker,
                self.workdir,
                client_id=client_id if count == 1 else f"{client_id}-{index}",
                profile_to=profile if index == 0 else None,
                **group,
            )
            for index in range(count)
        ]
        for processor in processors:
            await processor.launch()
        return processors

    async def _cpu_watch(self, processors: list[ProcessorProcess]) -> CpuWatch:
        broker = self.broker.process.pid if self.broker.process else 0
        name = "processor" if len(processors) == 1 else f"{len(processors)} processors"
        return CpuWatch({name: [processor.pid for processor in processors], "mosquitto": [broker]})

    async def _cpu_read(self, watch: CpuWatch) -> dict[str, float]:
        """The watch's figures plus the processor's PostgreSQL backends (found by application_name)."""
        connection = await asyncpg.connect(self.database_url)
        try:
            rows = await connection.fetch(_PROCESSOR_BACKENDS, APPLICATION_NAME)
        finally:
            await connection.close()
        return watch.read({"its PostgreSQL backends": [row["pid"] for row in rows]})

    async def _execute(self, sql: str) -> None:
        connection = await asyncpg.connect(self.database_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def _fetchval(self, sql: str, *args: object) -> int:
        connection = await asyncpg.connect(self.database_url)
        try:
            return int(await connection.fetchval(sql, *args))
        finally:
            await connection.close()


def say(line: str) -> None:
    print(f"  … {line}", flush=True)


def rows_for(results: Results, plan: Plan) -> list[Row]:
    prefill = sum(job.sent for job in results.prefill or []) / max(
        (job.seconds for job in results.prefill or []), default=1.0
    )
    naive = results.naive.rate if results.naive else 0.0
    processor = results.processor.overall if results.processor else 0.0
    bare = results.bare.rate if results.bare else 0.0
    c_sub = results.c_sub.rate if results.c_sub else 0.0
    return [
        Row("publishers, flat out (queueing the backlog)", prefill, "msg/s"),
        Row("(a) broker → mosquitto_sub (C)", c_sub, "msg/s"),
        Row("(a) broker → bare aiomqtt subscriber", bare, "msg/s"),
        Row(
            "(a) broker → bulk asyncio subscriber (Python)",
            results.bulk.rate if results.bulk else 0.0,
            "msg/s",
        ),
        Row("(b) naive consumer, INSERT+commit per msg", naive, "msg/s"),
        Row(
            "(c) processor → PostgreSQL, sustained",
            processor,
            "msg/s",
            baseline=("naive", naive),
            target=f"≥ {TARGET_RATE:,} msg/s and ≥ {TARGET_RATIO}× naive",
            met=processor >= TARGET_RATE and processor >= TARGET_RATIO * naive,
        ),
        Row(
            "    while the publishers run",
            results.processor.while_publishing if results.processor else 0.0,
            "msg/s",
        ),
        Row(
            "    draining alone after they stop",
            results.processor.after_publishing if results.processor else 0.0,
            "msg/s",
        ),
        Row("    share of the bare aiomqtt ceiling", 100 * processor / bare if bare else 0.0, "%"),
        Row(
            "    share of mosquitto_sub (C)",
            100 * processor / c_sub if c_sub else 0.0,
            "%",
            target="≥ 33 % (SPEC 9)",
            met=3 * processor >= c_sub > 0,
        ),
        Row(f"(d) offered load ({plan.publishers} publisher processes)", results.live_offered, "msg/s"),
        Row(
            "(d) committed while publishing",
            results.live_committed,
            "msg/s",
            baseline=("offered", results.live_offered),
        ),
        Row("(d) latency publish → committed, p50", results.p50_ms, "ms"),
        Row(
            "(d) latency publish → committed, p99",
            results.p99_ms,
            "ms",
            target=f"≤ {TARGET_P99_MS} ms at {plan.rate:,.0f} msg/s",
            met=results.p99_ms <= TARGET_P99_MS,
        ),
    ]


def print_cpu(results: Results) -> None:
    for title, usage in (("(c) drain", results.processor_cpu), ("(d) live", results.live_cpu)):
        if usage:
            parts = [f"{name} {value:.2f} cores" for name, value in usage.items() if not name.endswith("%")]
            print(f"CPU during {title}: {', '.join(parts)}, machine {usage['machine busy %']:.0f} % busy")
    if results.live_publishers:
        cores = sum(job.cpu_seconds for job in results.live_publishers) / max(
            job.seconds for job in results.live_publishers
        )
        print(f"CPU during (d) live: publishers {cores:.2f} cores (sharing the machine with all the above)")


def calibration_ms() -> float:
    """How fast this machine runs Python right now: figures from a busy or slow box scale with it."""
    started = time.perf_counter()
    total = 0
    for number in range(1_000_000):
        total += number
    return (time.perf_counter() - started) * 1000


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def print_profile(path: Path, lines: int = 25) -> None:
    print(f"\nprocessor profile (cProfile, {path}), top {lines} by own time:")
    pstats.Stats(str(path)).sort_stats("tottime").print_stats(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a ~30 s run with smaller backlogs")
    parser.add_argument("--devices", type=int, default=DEFAULT.devices)
    parser.add_argument("--publishers", type=int, default=DEFAULT.publishers, help="publisher processes")
    parser.add_argument("--qos", type=int, choices=(0, 1), default=DEFAULT.qos)
    parser.add_argument("--rate", type=float, default=DEFAULT.rate, help="offered load for the latency run")
    parser.add_argument("--duration", type=float, help="seconds of the latency run")
    parser.add_argument("--profile", type=Path, help="run the processor's drain under cProfile, save here")
    parser.add_argument(
        "--processors",
        type=int,
        default=DEFAULT.processors,
        help="processors in one shared-subscription group for (c) and (d) (default: 1, no group)",
    )
    parser.add_argument(
        "--types",
        default="air",
        help="device kinds in turn, e.g. air,meter,host for a mixed fleet (SPEC 3a; default: air)",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    plan = QUICK if args.quick else Plan()
    types = tuple(kind for kind in args.types.split(",") if kind)
    plan = replace(
        plan,
        devices=args.devices,
        publishers=args.publishers,
        qos=args.qos,
        rate=args.rate,
        types=types,
        processors=args.processors,
    )
    if args.duration:
        plan = replace(plan, duration=args.duration)
    load = os.getloadavg()
    print(
        f"SmartAir ingest benchmark: {plan.devices:,} devices ({','.join(plan.types)}), QoS {plan.qos}, "
        f"backlog {plan.backlog:,}, {plan.processors} processor(s), "
        f"{os.cpu_count()} CPUs, load average before start {load[0]:.1f}"
    )
    print(
        f"machine speed: {calibration_ms():.0f} ms for 1M iterations of a Python loop (an idle core: ~40 ms)"
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="smartair-bench-") as workdir:
        profile = args.profile.resolve() if args.profile else None
        results = asyncio.run(IngestBenchmark(plan, Path(workdir), profile).run())
    print_table(rows_for(results, plan))
    print_cpu(results)
    gaps = results.poll_gaps or [0.0]
    print(
        f"latency samples: {results.samples} of ≈{results.expected_samples} readings of {plan.probes} probe "
        f"devices (the rest were not committed by {MAX_SETTLE:.0f} s after publishing ended), "
        f"polled every {POLL * 1000:.0f} ms (actual gap median {_ms(statistics.median(gaps))}, "
        f"worst {_ms(max(gaps))})"
    )
    if results.timeline:
        print(
            "latency by publish time: "
            + ", ".join(
                f"{offset:.0f}s p50 {p50 * 1000:.0f}/max {worst * 1000:.0f} ms"
                for offset, p50, worst in results.timeline
            )
        )
    print(f"machine speed at the end: {calibration_ms():.0f} ms per 1M-iteration loop")
    print(f"total run time {time.monotonic() - started:.0f} s")
    if args.profile:
        print_profile(args.profile)


if __name__ == "__main__":
    main()
