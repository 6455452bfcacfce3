"""Chart benchmark (SPEC section 9): the 7-day /history chart → sendPhoto, alone and with 20 users at once.

    python -m bench.chart [--alone 20] [--rounds 2]

A private database (real alembic schema) gets one device with 7 days of 30-second readings (20 160 rows,
written through core.telemetry_store as the processor writes them, rollup included) shared with 20 viewers,
and another user with 20 devices for /status. The real bot (`python -m bot`) runs against the local Bot API
double. A request is a press of the "7 d" button: the update is pushed to the double and the clock stops when
sendPhoto arrives there, so the figure covers polling, the database, rendering in the pool and the upload.

Baselines, measured in the same run: the same load and drawing done directly in this process, interleaved with
the lone requests (what the work itself costs on this machine right now), and /status for the 20-device user
alone, to compare with /status answered during the chart storm.

The bot keeps a picture for a minute and draws identical requests once (bot.workers.rendering.recent). So
that no cached picture is counted as a drawn one, every measured request is made distinct: before it, the
viewer gets a time zone no earlier request used (the zone is part of what is asked, and the chart's axis).
The cache's own effect is printed apart: the same chart asked again within the minute, and 20 people asking
for the same chart at once.

On a shared machine wall-clock figures follow everyone else's load, so the CPU a drawn chart costs is
printed too: the bot's process tree (the bot, the pool's forkserver and workers; PostgreSQL not included)
per chart, beside the CPU of the direct drawing in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import available_timezones

import asyncpg

from bench.environment import tree_cpu_seconds
from bench.report import Row, machine_load, print_table
from bot.workers.rendering.drawing import HistoryJob, render_history
from bot.workers.rendering.pool import default_workers
from core import telemetry_store
from core.db import make_engine, make_sessionmaker
from core.services import history
from core.telemetry_store import PartitionCache
from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.database import drop_database, migrated_database
from sandbox.programs import BotProcess

STORM_USERS = 20
STATUS_DEVICES = 20
DAYS = 7
STEP_S = 30
TARGET_P95_MS = 300.0
TARGET_STORM_P50_MS = 1500.0
TIMEOUT_S = 60.0
# A text message of each chat to press the button on: on a photo the bot would edit it, not send one.
TEXT_MESSAGES: dict[int, int] = {}


def say(line: str) -> None:
    print(line, flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# ---- the private world ----------------------------------------------------------------------------------


async def seed(url: str, chart_users: list[TelegramUser], status_user: TelegramUser) -> int:
    """Users as the bot registers them, the shared chart device with a week of data, 20 status devices."""
    connection = await asyncpg.connect(url)
    try:
        ids = [person.id for person in [*chart_users, status_user]]
        await connection.execute(
            "INSERT INTO users (telegram_id, first_name, language)"
            " SELECT unnest($1::bigint[]), 'bench', 'en'",
            ids,
        )
        device = await _device(connection, "bench-chart")
        await connection.execute(
            "INSERT INTO user_devices (user_id, device_id, role)"
            " SELECT id, $1, CASE WHEN telegram_id = $2 THEN 'owner' ELSE 'viewer' END"
            " FROM users WHERE telegram_id = ANY($3::bigint[])",
            device,
            chart_users[0].id,
            [person.id for person in chart_users],
        )
        for n in range(STATUS_DEVICES):
            other = await _device(connection, f"bench-status-{n:02d}")
            await connection.execute(
                "INSERT INTO user_devices (user_id, device_id, role)"
                " SELECT id, $1, 'owner' FROM users WHERE telegram_id = $2",
                other,
                status_user.id,
            )
            end = datetime.now(UTC)
            await _write(connection, _week(other, end - timedelta(minutes=10), end))
        end = datetime.now(UTC)
        await _write(connection, _week(device, end - timedelta(days=DAYS), end))
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return device


async def _device(connection: asyncpg.Connection, uid: str) -> int:
    device = await connection.fetchval(
        "INSERT INTO devices (device_uid, device_type, name, paired_at, is_online, last_seen)"
        " VALUES ($1, 'co2', $1, now(), true, now()) RETURNING id",
        uid,
    )
    await connection.execute("INSERT INTO device_configs (device_id) VALUES ($1)", device)
    return int(device)


def _week(device: int, start: datetime, end: datetime) -> Iterator[telemetry_store.Row]:
    moment, n = start, 0
    while moment < end:
        # A daily CO2 wave with some jitter: a realistic amount of ink per pixel column.
        co2 = 700 + 350 * ((n % 2880) / 2880) + (n * 37 % 50)
        yield telemetry_store.row(
            device, moment, {"co2": co2, "temperature": 21 + (n % 100) / 50, "humidity": 40 + (n % 60) / 6}
        )
        moment += timedelta(seconds=STEP_S)
        n += 1


async def _write(connection: asyncpg.Connection, rows: Iterator[telemetry_store.Row]) -> None:
    await telemetry_store.prepare(connection)
    partitions, batch = PartitionCache(), []
    for row in rows:
        batch.append(row)
        if len(batch) == 5000:
            await telemetry_store.write_batch(connection, batch, [], partitions)
            batch = []
    if batch:
        await telemetry_store.write_batch(connection, batch, [], partitions)
    await telemetry_store.fold_hourly(connection)


# ---- measurements ------------------------------------------------------------------------------------------


async def chart_request(person: TelegramUser, device: int) -> float:
    """Press "7 d" on a text message (the device picker's case): seconds until sendPhoto arrives."""
    person.drain()
    started = time.monotonic()
    person.press_raw(f"hist:{device}:7d:all", TEXT_MESSAGES[person.id])
    while True:
        message = await person.next_message(timeout=TIMEOUT_S)
        if message.method == "sendPhoto":
            return time.monotonic() - started


async def status_request(person: TelegramUser) -> float:
    person.drain()
    started = time.monotonic()
    person.send("/status")
    await person.next_message(timeout=TIMEOUT_S)
    return time.monotonic() - started


async def status_loop(person: TelegramUser, stop: asyncio.Event) -> list[float]:
    timings = []
    while not stop.is_set():
        timings.append(await status_request(person))
        await asyncio.sleep(0.05)
    return timings


async def storm(
    users: list[TelegramUser], device: int, status_user: TelegramUser
) -> tuple[list[float], list[float]]:
    stop = asyncio.Event()
    watcher = asyncio.create_task(status_loop(status_user, stop))
    try:
        charts = await asyncio.gather(*(chart_request(person, device) for person in users))
    finally:
        stop.set()
    return list(charts), await watcher


class Zones:
    """Zones no request has used yet, given to viewers in the database (the bot reads them per update)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._unused = iter(sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/")))
        self._connection: asyncpg.Connection | None = None

    async def give(self, people: list[TelegramUser], zone: str | None = None) -> str:
        """One zone for all of `people`: a fresh one unless `zone` is given."""
        zone = zone or next(self._unused)
        await self._set([person.id for person in people], [zone] * len(people))
        return zone

    async def give_each(self, people: list[TelegramUser]) -> None:
        await self._set([person.id for person in people], [next(self._unused) for _ in people])

    async def _set(self, ids: list[int], zones: list[str]) -> None:
        if self._connection is None:
            self._connection = await asyncpg.connect(self._url)
        await self._connection.execute(
            "UPDATE users SET timezone = z.zone FROM unnest($1::bigint[], $2::text[]) AS z(id, zone)"
            " WHERE users.telegram_id = z.id",
            ids,
            zones,
        )

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()


class Direct:
    """The same work in this process, without the bot around it: load the data, draw the chart."""

    def __init__(self, url: str, device: int) -> None:
        self._engine = make_engine(url)
        self._sessionmaker = make_sessionmaker(self._engine)
        self._device = device
        self.loads: list[float] = []
        self.renders: list[float] = []
        self.render_cpu: list[float] = []

    async def warm_up(self) -> None:
        """A first chart, not counted: imports, fonts, connections."""
        await self.sample()
        for timings in (self.loads, self.renders, self.render_cpu):
            timings.clear()

    async def sample(self) -> None:
        end = datetime.now(UTC)
        started = time.monotonic()
        async with self._sessionmaker() as session:
            settings = await history.chart_settings(session, self._device)
            data = await history.load(session, self._device, end - timedelta(days=DAYS), end)
        loaded, cpu = time.monotonic(), time.process_time()
        render_history(HistoryJob(data, settings, end - timedelta(days=DAYS), end, "Europe/Moscow", "en"))
        self.render_cpu.append(time.process_time() - cpu)
        self.loads.append(loaded - started)
        self.renders.append(time.monotonic() - loaded)

    @property
    def totals(self) -> list[float]:
        return [load + render for load, render in zip(self.loads, self.renders, strict=True)]

    async def close(self) -> None:
        await self._engine.dispose()


# ---- the run -----------------------------------------------------------------------------------------------


async def run(alone_count: int, rounds: int) -> None:
    name, url = await migrated_database("smartair_bench")
    double = BotApiDouble()
    workdir = Path(tempfile.mkdtemp(prefix="smartair-bench-chart-"))
    bot = BotProcess(double, url, workdir)
    try:
        await double.start()
        users = [double.user(f"Viewer {n}") for n in range(STORM_USERS)]
        status_user = double.user("Status")
        started = time.monotonic()
        device = await seed(url, users, status_user)
        say(f"seeded {DAYS} days of {STEP_S}-second readings in {time.monotonic() - started:.1f} s")
        direct = Direct(url, device)
        await direct.warm_up()
        await bot.launch()
        say(f"bot running, rendering pool of {default_workers()} worker(s)")
        for person in [*users, status_user]:  # a bot message in every chat, and the user loaded once
            person.send("/start")
            TEXT_MESSAGES[person.id] = (await person.next_message(timeout=TIMEOUT_S)).message_id
        await chart_request(users[0], device)  # first request: connections, caches

        zones = Zones(url)
        alone, again = [], []
        cpu = Cpu(bot.pid)
        for n in range(alone_count):
            # Interleaved, so both see the same machine: a shared box's load comes and goes.
            person, neighbour = users[n % STORM_USERS], users[(n + 1) % STORM_USERS]
            zone = await zones.give([person])
            with cpu.counting("alone"):
                alone.append(await chart_request(person, device))
            await zones.give([neighbour], zone)
            again.append(await chart_request(neighbour, device))
            await direct.sample()
        await direct.close()
        status_alone = [await status_request(status_user) for _ in range(alone_count)]
        stormy: list[float] = []
        status_stormy: list[float] = []
        shared: list[float] = []
        for _ in range(rounds):
            await zones.give_each(users)
            with cpu.counting("storm", requests=STORM_USERS):
                charts, statuses = await storm(users, device, status_user)
            stormy += charts
            status_stormy += statuses
            await zones.give(users)
            shared += (await storm(users, device, status_user))[0]
        await zones.close()
        report(alone, stormy, status_alone, status_stormy, direct)
        report_cpu(cpu, direct)
        report_cache(again, shared, alone, stormy)
    finally:
        await bot.stop()
        await double.close()
        await drop_database(name)


class Cpu:
    """CPU per drawn chart of the bot's process tree (bot, forkserver, workers), by phase."""

    def __init__(self, bot_pid: int) -> None:
        self._pid = bot_pid
        self.per_chart: dict[str, list[float]] = {"alone": [], "storm": []}

    @contextlib.contextmanager
    def counting(self, phase: str, requests: int = 1) -> Iterator[None]:
        before = tree_cpu_seconds(self._pid)
        yield
        self.per_chart[phase].append((tree_cpu_seconds(self._pid) - before) / requests)


def report_cpu(cpu: Cpu, direct: Direct) -> None:
    alone_ms, storm_ms = (1000 * statistics.median(cpu.per_chart[phase]) for phase in ("alone", "storm"))
    direct_ms = 1000 * statistics.median(direct.render_cpu)
    say("CPU per drawn chart, medians (bot + pool: the whole request; direct: the drawing alone):")
    print_table(
        [
            Row("bot + pool CPU per chart, alone", alone_ms, "ms", ("direct drawing", direct_ms)),
            Row("bot + pool CPU per chart, 20 at once", storm_ms, "ms", ("alone", alone_ms)),
        ]
    )


def report(
    alone: list[float],
    stormy: list[float],
    status_alone: list[float],
    status_stormy: list[float],
    direct: Direct,
) -> None:
    ms = [1000 * v for v in alone]
    storm_ms = [1000 * v for v in stormy]
    status_ms = [1000 * v for v in status_alone]
    status_storm_ms = [1000 * v for v in status_stormy]
    direct_ms = [1000 * v for v in direct.totals]
    say(f"chart alone: {len(ms)} requests; storm: {len(storm_ms)} requests from {STORM_USERS} users at once")
    say(machine_load())
    load_ms, render_ms = (1000 * statistics.median(v) for v in (direct.loads, direct.renders))
    say(f"direct in this process, medians: load {load_ms:.0f} ms + render {render_ms:.0f} ms")
    p95 = percentile(ms, 0.95)
    print_table(
        [
            Row(
                "chart 7 d p50, alone", percentile(ms, 0.5), "ms", ("direct p50", percentile(direct_ms, 0.5))
            ),
            Row(
                "chart 7 d p95, alone",
                p95,
                "ms",
                ("direct p95", percentile(direct_ms, 0.95)),
                f"≤ {TARGET_P95_MS:.0f} ms",
                p95 <= TARGET_P95_MS,
            ),
            Row(
                "chart 7 d p50, 20 at once",
                percentile(storm_ms, 0.5),
                "ms",
                ("alone p50", percentile(ms, 0.5)),
                f"≤ {TARGET_STORM_P50_MS:.0f} ms",
                percentile(storm_ms, 0.5) <= TARGET_STORM_P50_MS,
            ),
            Row("chart 7 d p95, 20 at once", percentile(storm_ms, 0.95), "ms", ("alone p95", p95)),
            Row(
                "/status p50 during storm",
                percentile(status_storm_ms, 0.5),
                "ms",
                ("alone", percentile(status_ms, 0.5)),
            ),
            Row("/status max during storm", max(status_storm_ms), "ms", ("alone max", max(status_ms))),
        ]
    )


def report_cache(again: list[float], shared: list[float], alone: list[float], stormy: list[float]) -> None:
    """What the minute's cache adds, apart from the figures above (which it never served)."""
    again_ms, shared_ms = [1000 * v for v in again], [1000 * v for v in shared]
    say("the same charts again, served by the minute's cache (not counted above):")
    print_table(
        [
            Row(
                "chart 7 d p50, asked again",
                percentile(again_ms, 0.5),
                "ms",
                ("drawn p50", 1000 * percentile(alone, 0.5)),
            ),
            Row(
                "one chart p50, 20 at once",
                percentile(shared_ms, 0.5),
                "ms",
                ("20 different p50", 1000 * percentile(stormy, 0.5)),
            ),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alone", type=int, default=20, help="sequential chart requests (default 20)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="storms of 20 simultaneous requests (default 2)"
    )
    arguments = parser.parse_args()
    asyncio.run(run(arguments.alone, arguments.rounds))


if __name__ == "__main__":
    main()
