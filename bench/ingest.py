"""Ingest benchmark (SPEC section 9): `python -m bench.ingest [--quick] [--profile FILE] [--processors N]`.

One run, one private Mosquitto and database, 10 000 registered devices, and side by side:
  (a) what the broker hands a bare subscriber: mosquitto_sub (C), a do-nothing aiomqtt subscriber and a
      bulk-reading asyncio one (bench/wire.py);
  (b) a naive consumer, one INSERT + commit per message;
  (c) the processor (`python -m processor`, a subprocess), messages/s from Mosquitto into PostgreSQL, twice:
      draining the backlog queued for its session while it was down, as (a) and (b) do (the share of
      mosquitto_sub compares these two), and with the publishers pushing the backlog flat out meanwhile;
  (d) publish → committed latency p50/p99 at a fixed offered load (default 10 000 msg/s);
  (e) the sustained rate: offered loads in steps (15 000 msg/s, then 5 000 more each) for a while each, as
      in life; the highest one the processor kept up with (every probed reading committed; of those
      published in the step's last 5 s, p99 within 1 s and the median at most 250 ms above the first 5 s':
      no queue building up) is the figure.
(a), (b) and the first (c) drain a backlog queued beforehand for their persistent sessions, so no publisher
competes for the CPU while they are measured; the drain is timed from the processor's "mqtt connected" line
to the last commit. The flat-out (c) is timed from the first publish to the last commit, split into "while
publishing" and "draining alone": two publisher processes sending as fast as they can take the CPU that
the processor, Mosquitto and PostgreSQL share, so it says more about the machine than about a fleet.
Catching up after an outage is bench/recovery.py; bench/ingest_findings.md has the figures and the hot spots.
`--processors N` runs N processors in one shared-subscription group ($share/processor/..., SPEC 10) for (c),
(d) and (e).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import statistics
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import asyncpg

from bench import consumers
from bench.consumers import Drained
from bench.environment import cpu_seconds, create_fleet_database, machine_busy
from bench.flat_out import FlatOut, flat_out_rates
from bench.latency import MAX_SETTLE, POLL, LatencyProbe
from bench.load import JobResult, run_publishers, split_jobs
from bench.report import Row, print_table
from processor.app import APPLICATION_NAME
from sandbox.broker import Broker
from sandbox.database import drop_database
from sandbox.programs import ProcessorProcess

PREFIX = "bench"
BASELINE_SESSIONS = ("bench-c", "bench-aiomqtt", "bench-bulk", "bench-naive")
BACKENDS = "its PostgreSQL backends"
_PROCESSOR_BACKENDS = (
    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()"
)
TARGET_RATE = 30_000
TARGET_RATIO = 10
TARGET_P99_MS = 500
# (e): a step is kept up with when the readings published in its last KEPT_UP_WINDOW seconds were committed
# within KEPT_UP_P99_MS (p99), and their median latency is at most KEPT_UP_GROWTH_MS above that of the first
# KEPT_UP_WINDOW seconds: a processor that falls behind builds a queue, and the latency grows with every
# second of the step (1 000 msg/s short of 30 000 for 20 s: +0.6 s); one that only stumbled (a fold, a
# checkpoint) has caught up by the end.
KEPT_UP_WINDOW = 5.0
KEPT_UP_P99_MS = 1_000
KEPT_UP_GROWTH_MS = 250


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
    # (e): offered rates from `step_start` up by `step_size`, `step_duration` s each, until one is not kept up
    # with or `step_limit` is reached.
    step_start: float = 15_000.0
    step_size: float = 5_000.0
    step_limit: float = 80_000.0
    step_duration: float = 20.0
    # Processes in one shared-subscription group ($share/processor/..., SPEC 10) for (c) and (d); 1: one
    # processor on plain subscriptions.
    processors: int = 1
    types: tuple[str, ...] = (
        "air",
    )  # device kinds in turn (device.fleet.MODELS): air,meter,host is a mixed fleet


DEFAULT = Plan()
QUICK = Plan(
    backlog=60_000,
    baseline_window=8.0,
    naive_window=5.0,
    processor_window=15.0,
    duration=10.0,
    step_duration=10.0,
)


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
class Paced:
    """Publishers at a fixed rate for a while, the processor running: what was committed, and how late."""

    rate: float
    offered: float
    committed: float
    p50_ms: float
    p99_ms: float
    # Of the readings published in the first and in the last KEPT_UP_WINDOW seconds of publishing.
    p50_at_start_ms: float
    p50_at_end_ms: float
    p99_at_end_ms: float
    samples: int
    expected_samples: int
    timeline: list[tuple[float, float, float]]
    poll_gaps: list[float]
    cpu: dict[str, float]
    publishers: list[JobResult]

    @property
    def kept_up(self) -> bool:
        """The publishers offered the rate, every probed reading was committed, and no queue was left at
        the end."""
        return (
            self.offered >= 0.97 * self.rate
            and self.samples >= 0.99 * self.expected_samples
            and self.p99_at_end_ms <= KEPT_UP_P99_MS
            and self.p50_at_end_ms - self.p50_at_start_ms <= KEPT_UP_GROWTH_MS
        )


@dataclass
class Results:
    prefill: list[JobResult] | None = None
    c_sub: Drained | None = None
    bare: Drained | None = None
    bulk: Drained | None = None
    naive: Drained | None = None
    drain: Drained | None = None
    drain_cpu: dict[str, float] | None = None
    flat_out: FlatOut | None = None
    flat_out_publishers: list[JobResult] | None = None
    processor_cpu: dict[str, float] | None = None
    live: Paced | None = None
    steps: list[Paced] = field(default_factory=list)

    @property
    def sustained_rate(self) -> float:
        """(e): the highest offered rate kept up with, 0 if none was."""
        return max((step.rate for step in self.steps if step.kept_up), default=0.0)


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
            await self._sustained_steps()
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
        # The processors ran once and stopped: the broker queues the backlog for their sessions too.
        drainers = await self._launch_processors("bench-processor-drain", None)
        for processor in drainers:
            await processor.stop(within=60)
        say(f"queueing {plan.backlog:,} readings for each of the {len(BASELINE_SESSIONS) + 1} consumers")
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
        await self._execute("TRUNCATE telemetry, telemetry_hourly_wide, telemetry_hourly_pending")
        say("(c) processor draining the backlog queued while it was down")
        await self._processor_drain(drainers)
        await self._execute("TRUNCATE telemetry, telemetry_hourly_wide, telemetry_hourly_pending")
        say("(c) processor, publishers flat out")
        await self._processor_flat_out()

    async def _processor_drain(self, processors: list[ProcessorProcess]) -> None:
        """The processors start on the backlog queued for their sessions, as the baselines did: timed from the
        first "mqtt connecting" line (the broker sends a persistent session's queue right after CONNACK) to
        the start of the first count that saw every row."""
        plan = self.plan
        connection = await asyncpg.connect(self.database_url)
        try:
            for processor in processors:
                processor.start()
            for processor in processors:
                await processor.ready()
            watch = await self._cpu_watch(processors)
            connecting = min(_connecting_at(processor) for processor in processors)
            deadline = time.time() + plan.processor_window
            count, asked = 0, time.time()
            while count < plan.backlog and time.time() < deadline:
                asked = time.time()
                count = int(await connection.fetchval("SELECT count(*) FROM telemetry"))
                await asyncio.sleep(0.02)
            self.results.drain_cpu = await self._cpu_read(watch)
        finally:
            await connection.close()
            await self._stop(processors)
        self.results.drain = Drained(count, asked - connecting)

    async def _processor_flat_out(self) -> None:
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
            self.results.flat_out_publishers = await publishing
        finally:
            await connection.close()
            await self._stop(processors)
        self.results.flat_out = flat_out_rates(samples, self.results.flat_out_publishers, plan.backlog)

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
        try:
            self.results.live = await self._paced(processors, plan.rate, plan.duration)
        finally:
            await self._stop(processors)

    # ---- (e): the sustained rate, offered loads in steps -------------------------------------------------

    async def _sustained_steps(self) -> None:
        plan = self.plan
        processors = await self._launch_processors("bench-processor-steps", None)
        try:
            rate = plan.step_start
            while rate <= plan.step_limit:
                say(f"(e) {rate:,.0f} msg/s for {plan.step_duration:.0f} s")
                step = await self._paced(processors, rate, plan.step_duration)
                self.results.steps.append(step)
                if not step.kept_up:
                    return
                rate += plan.step_size
        finally:
            await self._stop(processors)

    async def _paced(self, processors: list[ProcessorProcess], rate: float, duration: float) -> Paced:
        """Publishers at `rate` for `duration` s while the processors run; latency from probe devices."""
        plan = self.plan
        step = max(1, len(self.uids) // plan.probes)
        probe = LatencyProbe(self.database_url, [self.device_ids[uid] for uid in self.uids[::step]])
        publishing_done = asyncio.Event()
        watching = asyncio.create_task(probe.run(publishing_done))
        watch = await self._cpu_watch(processors)
        jobs = split_jobs(
            self.uids,
            plan.publishers,
            self.broker.host,
            self.broker.port,
            rate=rate,
            duration=duration,
            types=plan.types,
        )
        publishers = await asyncio.to_thread(run_publishers, [replace(job, qos=plan.qos) for job in jobs])
        cpu = await self._cpu_read(watch)
        publishing_done.set()
        await watching
        sent = sum(job.sent for job in publishers)
        committed = await self._fetchval(
            "SELECT count(*) FROM telemetry WHERE ts >= $1", probe.since_datetime()
        )
        return Paced(
            rate=rate,
            offered=sent / duration,
            committed=committed / duration,
            p50_ms=1000 * probe.percentile(0.50),
            p99_ms=1000 * probe.percentile(0.99),
            p50_at_start_ms=1000 * probe.percentile_published(0.50, first=KEPT_UP_WINDOW),
            p50_at_end_ms=1000 * probe.percentile_published(0.50, last=KEPT_UP_WINDOW),
            p99_at_end_ms=1000 * probe.percentile_published(0.99, last=KEPT_UP_WINDOW),
            samples=len(probe.latencies),
            expected_samples=round(sent * len(probe.device_ids) / len(self.uids)),
            timeline=probe.timeline(),
            poll_gaps=probe.poll_gaps,
            cpu=cpu,
            publishers=publishers,
        )

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

    async def _stop(self, processors: list[ProcessorProcess]) -> None:
        """Stop the processors and drop their persistent sessions: the broker would go on queueing every later
        phase's messages for them."""
        for processor in processors:
            await processor.stop(within=60)
        for processor in processors:
            await consumers.close_session(self.broker, processor.env["MQTT_CLIENT_ID"])

    async def _cpu_watch(self, processors: list[ProcessorProcess]) -> CpuWatch:
        broker = self.broker.process.pid if self.broker.process else 0
        name = "processor" if len(processors) == 1 else f"{len(processors)} processors"
        # The backends already open count from now, not from their start (a processor kept across the
        # steps of (e) keeps its connections: counted whole, they showed more cores than the machine has).
        return CpuWatch(
            {
                name: [processor.pid for processor in processors],
                "mosquitto": [broker],
                BACKENDS: await self._backend_pids(),
            }
        )

    async def _cpu_read(self, watch: CpuWatch) -> dict[str, float]:
        """The watch's figures, with the processor's PostgreSQL backends opened since counted too."""
        return watch.read({BACKENDS: await self._backend_pids()})

    async def _backend_pids(self) -> list[int]:
        """The processor's PostgreSQL backends (found by application_name)."""
        connection = await asyncpg.connect(self.database_url)
        try:
            rows = await connection.fetch(_PROCESSOR_BACKENDS, APPLICATION_NAME)
        finally:
            await connection.close()
        return [row["pid"] for row in rows]

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


def _connecting_at(processor: ProcessorProcess) -> float:
    """Unix time of this run's "mqtt connecting" line (its log timestamp: local time, milliseconds)."""
    line = next(
        line
        for line in processor.output()[processor.start_offset :].splitlines()
        if "mqtt connecting" in line
    )
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()


def say(line: str) -> None:
    print(f"  … {line}", flush=True)


def rows_for(results: Results, plan: Plan) -> list[Row]:
    prefill = sum(job.sent for job in results.prefill or []) / max(
        (job.seconds for job in results.prefill or []), default=1.0
    )
    naive = results.naive.rate if results.naive else 0.0
    drain = results.drain.rate if results.drain else 0.0
    flat_out = results.flat_out.overall if results.flat_out else 0.0
    bare = results.bare.rate if results.bare else 0.0
    c_sub = results.c_sub.rate if results.c_sub else 0.0
    sustained_rate = results.sustained_rate
    rows = [
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
            "(c) processor → PostgreSQL, draining its queue",
            drain,
            "msg/s",
            baseline=("mosquitto_sub", c_sub),
            target="≥ 33 % of mosquitto_sub (SPEC 9)",
            met=3 * drain >= c_sub > 0,
        ),
        Row("    share of the bare aiomqtt ceiling", 100 * drain / bare if bare else 0.0, "%"),
        Row("(c) … with the publishers flat out meanwhile", flat_out, "msg/s"),
        Row(
            "    while the publishers run",
            results.flat_out.while_publishing if results.flat_out else 0.0,
            "msg/s",
        ),
        Row(
            "    draining alone after they stop",
            results.flat_out.after_publishing if results.flat_out else 0.0,
            "msg/s",
        ),
    ]
    if results.live is not None:
        live = results.live
        rows += [
            Row(f"(d) offered load ({plan.publishers} publisher processes)", live.offered, "msg/s"),
            Row(
                "(d) committed while publishing", live.committed, "msg/s", baseline=("offered", live.offered)
            ),
            Row("(d) latency publish → committed, p50", live.p50_ms, "ms"),
            Row(
                "(d) latency publish → committed, p99",
                live.p99_ms,
                "ms",
                target=f"≤ {TARGET_P99_MS} ms at {plan.rate:,.0f} msg/s",
                met=live.p99_ms <= TARGET_P99_MS,
            ),
        ]
    for step in results.steps:
        verdict = "kept up" if step.kept_up else "fell behind"
        rows.append(
            Row(
                f"(e) {step.rate:,.0f} msg/s: p50 {step.p50_at_start_ms:,.0f} → {step.p50_at_end_ms:,.0f} ms,"
                f" p99 at the end {step.p99_at_end_ms:,.0f} ms: {verdict}",
                step.offered,
                "msg/s",
            )
        )
    rows.append(
        Row(
            "(e) sustained: highest offered rate kept up with",
            sustained_rate,
            "msg/s",
            baseline=("naive", naive),
            target=f"≥ {TARGET_RATE:,} msg/s and ≥ {TARGET_RATIO}× naive",
            met=sustained_rate >= TARGET_RATE and sustained_rate >= TARGET_RATIO * naive,
        )
    )
    return rows


def print_cpu(results: Results) -> None:
    phases: list[tuple[str, dict[str, float] | None, list[JobResult] | None]] = [
        ("(c) drain of its queue", results.drain_cpu, None),
        ("(c) with publishers flat out", results.processor_cpu, None),
    ]
    if results.live is not None:
        phases.append(("(d) live", results.live.cpu, results.live.publishers))
    kept = [step for step in results.steps if step.kept_up]
    if kept:
        phases.append((f"(e) {kept[-1].rate:,.0f} msg/s", kept[-1].cpu, kept[-1].publishers))
    for title, usage, publishers in phases:
        if usage:
            parts = [f"{name} {value:.2f} cores" for name, value in usage.items() if not name.endswith("%")]
            print(f"CPU during {title}: {', '.join(parts)}, machine {usage['machine busy %']:.0f} % busy")
        if publishers:
            cores = sum(job.cpu_seconds for job in publishers) / max(job.seconds for job in publishers)
            print(
                f"CPU during {title}: publishers {cores:.2f} cores (sharing the machine with all the above)"
            )


def print_latency(title: str, paced: Paced, probes: int) -> None:
    gaps = paced.poll_gaps or [0.0]
    print(
        f"{title}: latency samples {paced.samples} of ≈{paced.expected_samples} readings of {probes} probe "
        f"devices (the rest were not committed by {MAX_SETTLE:.0f} s after publishing ended), "
        f"polled every {POLL * 1000:.0f} ms (actual gap median {_ms(statistics.median(gaps))}, "
        f"worst {_ms(max(gaps))})"
    )
    print(
        f"{title}: latency by publish time: "
        + ", ".join(
            f"{offset:.0f}s p50 {p50 * 1000:.0f}/max {worst * 1000:.0f} ms"
            for offset, p50, worst in paced.timeline
        )
    )


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
    if results.live is not None:
        print_latency("(d)", results.live, plan.probes)
    for step in results.steps:
        print_latency(f"(e) {step.rate:,.0f} msg/s", step, plan.probes)
    print(f"machine speed at the end: {calibration_ms():.0f} ms per 1M-iteration loop")
    print(f"total run time {time.monotonic() - started:.0f} s")
    if args.profile:
        print_profile(args.profile)


if __name__ == "__main__":
    main()
