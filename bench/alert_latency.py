"""Alert latency (SPEC section 9): publish of a threshold-crossing reading → sendMessage at a Bot API double.

`python -m bench.alert_latency [--samples 30] [--rate 10000] [--devices 2000]`

Everything is private to the run: Mosquitto from the product's config, a database built by alembic,
`python -m processor` and `python -m bot` as production runs them, the bot pointed at an in-process Bot API
double. A probe device (its own owner, a chat at the double) gets readings that cross its CO2 rule back and
forth: 1500 ppm fires, 700 ppm recovers; each publish is timed until the double receives the sendMessage of
that notice, in one process and one monotonic clock. Measured alone, then under background ingest (a paced
fleet from bench.load publishing to registered devices).

The probe's rule has hold time 0. With the default H = 60 s a notice goes out a minute after the first
reading beyond the threshold by design: that is policy, not latency. Hold 0 fires on the first reading, so
what is measured is the pipeline: broker → processor commit → alert evaluation → outbox + NOTIFY → bot
LISTEN → claim → sendMessage. Samples are spaced by more than a second, because the bot (rightly) sends at
most one message a second to one chat, which would otherwise be measured instead.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
import asyncpg
import orjson

from bench.environment import create_fleet_database
from bench.load import Job, JobResult, run_publishers, split_jobs
from bench.report import Row, print_table
from core import topics
from core.db import make_engine, make_sessionmaker
from sandbox.botapi import BotApiDouble
from sandbox.broker import Broker
from sandbox.database import drop_database
from sandbox.programs import BotProcess, ProcessorProcess
from sandbox.seed import make_user, pair_device

TARGET_MS = 250.0
FIRE, RECOVER = 1500, 700
SPACING = 1.1  # seconds between samples: more than the bot's 1 message/s per chat
NOTICE_TIMEOUT = 5.0
PREFIX = "bg"
_BOT_SHARE = """
SELECT extract(epoch FROM o.sent_at - o.created_at) AS seconds
FROM notification_outbox o JOIN users u ON u.id = o.user_id
WHERE u.telegram_id = $1 AND o.created_at >= $2 AND o.status = 'sent'
"""
_HOLD_ZERO = (
    "UPDATE alert_rules SET hold_seconds = 0, critical = NULL WHERE device_id = $1 AND metric = 'co2'"
)


@dataclass(frozen=True, slots=True)
class Phase:
    latencies: list[float]  # publish → sendMessage at the double, seconds
    bot_share: list[float]  # of which: outbox row written → sent recorded (the bot's part), seconds


@dataclass(frozen=True, slots=True)
class Plan:
    samples: int = 30
    rate: float = 10_000.0
    devices: int = 2_000
    publishers: int = 2


DEFAULT = Plan()


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: with 30 samples, p99 is the slowest one (said so in the output)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


class AlertLatencyBenchmark:
    def __init__(self, plan: Plan, workdir: Path) -> None:
        self.plan, self.workdir = plan, workdir
        self.broker = Broker(workdir=workdir / "mosquitto")
        self.double = BotApiDouble()
        self.bot: BotProcess | None = None
        self.uid = f"probe-{secrets.token_hex(3)}"
        self.database_name = ""
        self.database_url = ""
        self.chat = 0
        self.firing = False  # where the probe's rule stands: the next sample crosses the other way

    async def run(self) -> tuple[Phase, Phase, dict[str, float]]:
        self.broker.start()
        await self.double.start()
        processor: ProcessorProcess | None = None
        try:
            self.database_name, self.database_url, _ = await create_fleet_database(PREFIX, self.plan.devices)
            self.chat = await self._probe_owner()
            processor = ProcessorProcess(self.database_url, self.broker, self.workdir)
            await processor.launch()
            self.bot = BotProcess(self.double, self.database_url, self.workdir, DELIVERY_ENABLED="true")
            await self.bot.launch()
            async with aiomqtt.Client(
                self.broker.host, self.broker.port, identifier=f"{self.uid}-pub", **self.broker.credentials
            ) as mqtt:
                await self._measure(mqtt, 3)  # warm-up: connections, caches, the first plans
                say("measuring alone")
                since = datetime.now(UTC)
                alone = Phase(await self._measure(mqtt, self.plan.samples), await self._bot_share(since))
                say(f"measuring under background ingest of {self.plan.rate:,.0f} msg/s")
                since = datetime.now(UTC)
                latencies, load = await self._under_load(mqtt)
                loaded = Phase(latencies, await self._bot_share(since))
            return alone, loaded, load
        finally:
            if self.bot is not None:
                await self.bot.stop()
            if processor is not None:
                await processor.stop(within=60)
            await self.double.close()
            self.broker.stop()
            if self.database_name:
                await drop_database(self.database_name)

    # ---- setup -------------------------------------------------------------------------------------------

    async def _probe_owner(self) -> int:
        """A user with a chat at the double who owns the probe device; its CO2 rule fires on one reading."""
        person = self.double.user("Probe")
        engine = make_engine(self.database_url)
        sessions = make_sessionmaker(engine)
        try:
            owner = await make_user(sessions, telegram_id=person.id, first_name="Probe")
            device = await pair_device(sessions, owner_id=owner, uid=self.uid)
        finally:
            await engine.dispose()
        connection = await asyncpg.connect(self.database_url)
        try:
            await connection.execute(_HOLD_ZERO, device)
        finally:
            await connection.close()
        return person.id

    # ---- measuring ----------------------------------------------------------------------------------------

    async def _measure(self, mqtt: aiomqtt.Client, samples: int, until: float = math.inf) -> list[float]:
        """Up to `samples` notices, spaced out; sampling stops at `until` (monotonic) to bound the run."""
        latencies: list[float] = []
        for _ in range(samples):
            if time.monotonic() > until:
                break
            latencies.append(await self._one(mqtt, RECOVER if self.firing else FIRE))
            self.firing = not self.firing
            await asyncio.sleep(SPACING)
        return latencies

    async def _one(self, mqtt: aiomqtt.Client, co2: int) -> float:
        """Seconds from the publish call to the double receiving that notice's sendMessage (inf: none came
        within NOTICE_TIMEOUT, counted as a miss)."""
        marker = "above the threshold" if co2 == FIRE else "back to normal"
        after = len(self.double.calls)
        payload = orjson.dumps({"timestamp": time.time(), "co2": co2})
        started = time.monotonic()
        await mqtt.publish(topics.device_topic(self.uid, topics.TELEMETRY), payload, qos=1)
        deadline = started + NOTICE_TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            try:
                call = await self.double.wait_for_call("sendMessage", timeout=left, after=after)
            except TimeoutError:
                break
            after = self.double.calls.index(call) + 1
            if int(call.params["chat_id"]) == self.chat and marker in str(call.params.get("text")):
                return call.at - started
        return math.inf

    async def _under_load(self, mqtt: aiomqtt.Client) -> tuple[list[float], dict[str, float]]:
        duration = 5.0 + self.plan.samples * (SPACING + 0.3)
        uids = [f"{PREFIX}-{n:05d}" for n in range(1, self.plan.devices + 1)]
        jobs = split_jobs(
            uids,
            self.plan.publishers,
            self.broker.host,
            self.broker.port,
            rate=self.plan.rate,
            duration=duration,
        )
        rows_before = await self._telemetry_rows()
        started = time.monotonic()
        load = _in_daemon_thread(run_publishers, jobs)
        await asyncio.sleep(3.0)  # the load reaches its pace before the first sample
        latencies = await self._measure(mqtt, self.plan.samples, until=started + duration)
        # Publishers that died (e.g. the broker dropped them) never report: wait for them, but not forever.
        results: list[JobResult] = await asyncio.wait_for(load, duration + 60)
        elapsed = time.monotonic() - started
        stored = await self._telemetry_rows() - rows_before
        sent = sum(result.sent for result in results)
        publish_seconds = max(r.last_send for r in results) - min(r.first_send for r in results)
        return latencies, {"offered": sent / max(publish_seconds, 1e-9), "stored": stored / elapsed}

    async def _bot_share(self, since: datetime) -> list[float]:
        """For the probe's notices since `since`: outbox row created → `sent` recorded, in seconds."""
        connection = await asyncpg.connect(self.database_url)
        try:
            rows = await connection.fetch(_BOT_SHARE, self.chat, since)
        finally:
            await connection.close()
        return [float(row["seconds"]) for row in rows]

    async def _telemetry_rows(self) -> int:
        connection = await asyncpg.connect(self.database_url)
        try:
            return int(await connection.fetchval("SELECT count(*) FROM telemetry"))
        finally:
            await connection.close()


def _in_daemon_thread(
    work: Callable[[list[Job]], list[JobResult]], jobs: list[Job]
) -> asyncio.Future[list[JobResult]]:
    """Run blocking `work` in a daemon thread: unlike asyncio.to_thread, a stuck one cannot hold up exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[list[JobResult]] = loop.create_future()

    def target() -> None:
        try:
            result = work(jobs)
        except Exception as error:  # handed to the awaiting coroutine, which reports it
            loop.call_soon_threadsafe(_settle, future, None, error)
        else:
            loop.call_soon_threadsafe(_settle, future, result, None)

    threading.Thread(target=target, name="background-load", daemon=True).start()
    return future


def _settle(
    future: asyncio.Future[list[JobResult]], result: list[JobResult] | None, error: Exception | None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result or [])


def say(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", flush=True)


def rows_for(alone_phase: Phase, loaded_phase: Phase) -> list[Row]:
    alone_ms = [value * 1000 for value in alone_phase.latencies]
    loaded_ms = [value * 1000 for value in loaded_phase.latencies]
    # A missed notice counts as infinitely late: it can only push the percentiles up.
    a50, a99 = percentile(alone_ms, 0.5), percentile(alone_ms, 0.99)
    l50, l99 = percentile(loaded_ms, 0.5), percentile(loaded_ms, 0.99)
    target = f"p99 ≤ {TARGET_MS:.0f} ms"
    return [
        Row("alert latency p50, alone", a50, "ms"),
        Row("alert latency p99, alone", a99, "ms", target=target, met=a99 <= TARGET_MS),
        Row("alert latency p50, under ingest", l50, "ms", baseline=("alone", a50)),
        Row(
            "alert latency p99, under ingest",
            l99,
            "ms",
            baseline=("alone", a99),
            target=target,
            met=l99 <= TARGET_MS,
        ),
    ]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.alert_latency", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--samples", type=int, default=DEFAULT.samples, help="notices measured per phase")
    parser.add_argument("--rate", type=float, default=DEFAULT.rate, help="background ingest, messages/s")
    parser.add_argument("--devices", type=int, default=DEFAULT.devices, help="background fleet size")
    parser.add_argument(
        "--publishers", type=int, default=DEFAULT.publishers, help="background publisher processes"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    plan = Plan(samples=args.samples, rate=args.rate, devices=args.devices, publishers=args.publishers)
    print(
        f"SmartAir alert latency: {plan.samples} notices alone and {plan.samples} under "
        f"{plan.rate:,.0f} msg/s from {plan.devices:,} devices; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="smartair-alert-bench-") as workdir:
        alone, loaded, load = asyncio.run(AlertLatencyBenchmark(plan, Path(workdir)).run())
    print_table(rows_for(alone, loaded))
    for name, phase in (("alone", alone), ("under ingest", loaded)):
        share = [value * 1000 for value in phase.bot_share] or [float("nan")]
        missed = sum(math.isinf(value) for value in phase.latencies)
        print(
            f"{name}: {len(phase.latencies)} notices, {missed} missed (none within {NOTICE_TIMEOUT:.0f} s); "
            f"the bot's part (outbox row stamped by the processor → Telegram accepted → recorded) took a "
            f"median {statistics.median(share):.0f} ms, the rest is broker → processor commit → evaluation"
        )
    print(
        f"background ingest: offered {load['offered']:,.0f} msg/s, stored {load['stored']:,.0f} rows/s "
        f"over the loaded phase; p99 is the nearest rank (below 100 samples: the slowest one); "
        f"run took {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    with suppress(KeyboardInterrupt):
        main()
