"""/status benchmark (SPEC section 9): a user with 20 devices among 10 000 devices and 10 M readings.

    python -m bench.status [--requests 200] [--quick]

A dedicated database (real alembic schema), `smartair_bench_status` (`…_quick` for `--quick`), gets
10 000 devices, two per user, and 1 000 readings per device spread over the `--days` days before it was
built (daily partitions, each device's newest reading a moment before), written with COPY; one more user
owns 20 of the devices. Building it takes minutes, so it is kept: the next run reuses it (migrated to the
current head) when its comment says it holds the data asked for, and rebuilds it otherwise or with
`--rebuild`. No other database is touched. The real bot (`python -m bot`) runs against the local Bot
API double; a request is that user's "/status" pushed to the double, and the clock stops when the answer
arrives there, so the figure covers polling, the database and the reply.

Baseline, interleaved with the bot's requests in the same run: the same service call (core.services.devices
.my_devices) made directly from this process, on a pool configured like the bot's for updates (no
pre-ping): what the database part costs on this machine right now.
`--quick` builds a tenth of the devices with a tenth of the readings each, for a sanity run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from bench.chart import percentile, say, status_request
from bench.report import Row, machine_load, print_table
from bench.sampling import Marker, Sampled, sampling
from core.db import make_engine, make_sessionmaker
from core.services import devices
from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.database import SERVER_URL, alembic, drop_database, url_for
from sandbox.programs import BotProcess

USER_DEVICES = 20
DEVICES_PER_FILLER_USER = 2
TARGET_P99_MS = 50.0
TIMEOUT_S = 30.0
# The Bot API double allows about 30 messages a second, as Telegram does (sandbox.limits.FloodControl):
# requests closer together than this would time the double's 1 s retry_after, not the bot.
PACE_S = 0.05
DATABASE = "smartair_bench_status"


async def bench_database(
    status_user: TelegramUser, device_count: int, readings: int, days: int, rebuild: bool
) -> tuple[str, int]:
    """(URL, the status user's id) of the kept database, built first if it does not hold this data."""
    name = DATABASE + ("_quick" if device_count < 10_000 else "")
    url = url_for(name)
    wanted = f"bench.status devices={device_count} readings={readings} days={days}"
    comment = None if rebuild else await _comment(name)
    if comment is not None and comment.startswith(wanted + " user="):
        user_id, built = comment.removeprefix(wanted + " user=").split(" built=")
        _migrate(url)
        say(f"reusing {name}: {wanted}, built {built}")
        await _reclaim(url, int(user_id), status_user)
        return url, int(user_id)
    # Absent, half-built (no comment: the comment is written last) or other data: built afresh.
    await drop_database(name)
    await _server_execute(f'CREATE DATABASE "{name}"')
    _migrate(url)
    started = time.monotonic()
    user_id = await seed(url, status_user, device_count, readings, days)
    built = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    await _server_execute(f"COMMENT ON DATABASE \"{name}\" IS '{wanted} user={user_id} built={built}'")
    say(f"built {name}: {wanted} with COPY in {time.monotonic() - started:.0f} s")
    return url, user_id


async def _comment(name: str) -> str | None:
    connection = await asyncpg.connect(SERVER_URL)
    try:
        return await connection.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name
        )
    finally:
        await connection.close()


async def _server_execute(statement: str) -> None:
    connection = await asyncpg.connect(SERVER_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _migrate(url: str) -> None:
    result = alembic(url, "upgrade", "head")
    if result.returncode != 0:
        raise RuntimeError(f"alembic upgrade head failed:\n{result.stderr[-3000:]}")


async def _reclaim(url: str, user_id: int, status_user: TelegramUser) -> None:
    """This run's double may number its people differently: the status user takes this run's id."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("UPDATE users SET telegram_id = $1 WHERE id = $2", status_user.id, user_id)
    finally:
        await connection.close()


async def seed(url: str, status_user: TelegramUser, device_count: int, readings: int, days: int) -> int:
    """Users, devices and links in SQL; the readings with COPY. Returns the status user's id."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "INSERT INTO devices (device_uid, device_type, name, paired_at, is_online, last_seen)"
            " SELECT 'bench-' || n, 'co2', 'Room ' || n, now(), true, now() FROM generate_series(1, $1) n",
            device_count,
        )
        await connection.execute(
            "INSERT INTO users (telegram_id, first_name, language)"
            " SELECT -n, 'filler', 'en' FROM generate_series(1, $1) n",
            device_count // DEVICES_PER_FILLER_USER,
        )
        user_id = await connection.fetchval(
            "INSERT INTO users (telegram_id, first_name, language) VALUES ($1, 'Status', 'en') RETURNING id",
            status_user.id,
        )
        # The status user owns the first 20 devices; every other device has a filler owner.
        await connection.execute(
            "INSERT INTO user_devices (user_id, device_id, role)"
            " SELECT CASE WHEN d.id <= $2 THEN $1"
            "  ELSE (SELECT min(id) FROM users WHERE telegram_id < 0) + (d.id - 1) / $3 END, d.id, 'owner'"
            " FROM devices d",
            user_id,
            USER_DEVICES,
            DEVICES_PER_FILLER_USER,
        )
        end = datetime.now(UTC)
        start = end - timedelta(days=days)
        await connection.execute("SELECT telemetry_ensure_partitions($1, $2)", start.date(), end.date())
        ids = [row["id"] for row in await connection.fetch("SELECT id FROM devices ORDER BY id")]
        await connection.copy_to_table(
            "telemetry",
            source=_readings(ids, readings, start, end),
            columns=["device_id", "ts", "co2", "temperature", "humidity"],
            format="text",
        )
        await connection.execute("ANALYZE")
        return int(user_id)
    finally:
        await connection.close()


async def _readings(ids: list[int], readings: int, start: datetime, end: datetime) -> AsyncIterator[bytes]:
    """COPY text, a device at a time: the same instants for every device, each device's own values."""
    step = (end - start) / readings
    instants = [(end - step * (readings - 1 - n)).isoformat() for n in range(readings)]
    tails = [f"\t{ts}\t{700 + n % 400}\t{21 + n % 30 / 10}\t{40 + n % 20}" for n, ts in enumerate(instants)]
    for device in ids:
        prefix = str(device)
        yield (prefix + ("\n" + prefix).join(tails) + "\n").encode()


async def run(requests: int, quick: bool, days: int, rebuild: bool, profile: Path | None) -> None:
    device_count, readings = (1000, 100) if quick else (10_000, 1000)
    double = BotApiDouble()
    await double.start()
    try:
        person = double.user("Status")
        url, user_id = await bench_database(person, device_count, readings, days, rebuild)
        bot = BotProcess(double, url, Path(tempfile.mkdtemp(prefix="smartair-bench-status-")))
        await measure(bot, person, url, user_id, requests, profile=profile)
    finally:
        await double.close()


async def measure(
    bot: BotProcess, person: TelegramUser, url: str, user_id: int, requests: int, *, profile: Path | None
) -> None:
    # Sessions like the bot's for updates (bot.middlewares): no pre-ping, whose three round trips per
    # checkout would make the baseline slower than the path it is compared with.
    engine = make_engine(url, pre_ping=False)
    sessions = make_sessionmaker(engine)

    async def direct() -> float:
        begun = time.monotonic()
        async with sessions() as session:
            mine = await devices.my_devices(session, user_id)
        if len(mine) != USER_DEVICES or any(device.reading is None for device in mine):
            raise RuntimeError(f"expected {USER_DEVICES} devices with readings, got {len(mine)}")
        return time.monotonic() - begun

    try:
        await direct()  # first one: connections, prepared statements
        async with engine.connect() as connection:
            plan = await connection.execute(
                text("EXPLAIN (ANALYZE, BUFFERS, SUMMARY) " + _compiled(user_id)),
            )
            say("the query's plan, once:\n  " + "\n  ".join(row[0] for row in plan))
        await bot.launch()
        person.send("/start")
        await person.next_message(timeout=TIMEOUT_S)
        await status_request(person)  # first one: the bot's connections, the user loaded once

        say("before: " + machine_load())
        bot_times: list[float] = []
        direct_times: list[float] = []
        with contextlib.ExitStack() as stack:
            sampler = sampling(bot.pid, profile, BOT_STAGES, BOT_ROOTS) if profile else None
            sampled = stack.enter_context(sampler) if sampler else None
            for _ in range(requests):
                begun = time.monotonic()
                # Interleaved, so both see the same machine: a shared box's load comes and goes.
                bot_times.append(await status_request(person))
                direct_times.append(await direct())
                await asyncio.sleep(max(0.0, PACE_S - (time.monotonic() - begun)))
        report(bot_times, direct_times)
        if sampled is not None:
            report_stages(sampled, requests, profile)
    finally:
        await bot.stop()
        await engine.dispose()


# The bot's work for one /status, in the order it happens (see bench/sampling.py for how they are read).
BOT_STAGES: list[Marker] = [
    ("polling: getUpdates, update parsed", "_listen_updates"),
    ("dispatching: aiogram, middlewares, filters", "feed_update"),
    ("session: open, close (ROLLBACK)", "AsyncSession.close"),
    ("session: open, close (ROLLBACK)", "DatabaseSession.__call__"),
    ("user lookup (users.register)", "register (core/services/users.py"),
    ("/status: devices query", "my_devices"),
    ("/status: text rendering", "status_overview"),
    ("/status: sendMessage", "status (bot/handlers/status.py"),
    ("pool checkout, pre-ping, BEGIN", "_do_ping"),
    ("pool checkout, pre-ping, BEGIN", "_start_transaction"),
    ("pool checkout, pre-ping, BEGIN", "_connection_for_bind"),
    ("Bot API answers read (aiogram, pydantic)", "check_response"),
    ("Bot API request written (aiohttp)", "ClientSession._request"),
    ("Bot API request written (aiohttp)", "write_bytes"),
]
# SQLAlchemy's greenlets, by the synchronous call they run.
BOT_ROOTS: list[Marker] = [
    ("user lookup (users.register)", "Session.scalar"),
    ("/status: devices query", "Session.execute"),
    ("/status: devices query", "Connection.execute"),
    ("session: open, close (ROLLBACK)", "Session.close"),
    ("pool checkout, pre-ping, BEGIN", "Session.connection"),
]


def report_stages(sampled: Sampled, requests: int, raw: Path) -> None:
    say(f"the bot's CPU per /status by stage (py-spy samples {sum(sampled.stages.values())}, stacks: {raw}):")
    for stage, milliseconds in sampled.milliseconds(requests).items():
        say(f"  {milliseconds:6.2f} ms  {stage}")
    say(f"  {1000 * sampled.cpu_seconds / requests:6.2f} ms  in all")


def _compiled(user_id: int) -> str:
    query = devices.SUMMARIES.params(user_id=user_id)
    return str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def report(bot_times: list[float], direct_times: list[float]) -> None:
    bot_ms = [1000 * v for v in bot_times]
    direct_ms = [1000 * v for v in direct_times]
    say(f"/status: {len(bot_ms)} requests through the bot, each followed by a direct call")
    say("after: " + machine_load())
    p99 = percentile(bot_ms, 0.99)
    print_table(
        [
            Row("/status p50", percentile(bot_ms, 0.5), "ms", ("direct p50", percentile(direct_ms, 0.5))),
            Row(
                "/status p99",
                p99,
                "ms",
                ("direct p99", percentile(direct_ms, 0.99)),
                f"≤ {TARGET_P99_MS:.0f} ms",
                p99 <= TARGET_P99_MS,
            ),
            Row("/status max", max(bot_ms), "ms", ("direct max", max(direct_ms))),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200, help="/status requests (default 200)")
    parser.add_argument("--days", type=int, default=14, help="days the readings span (default 14)")
    parser.add_argument("--quick", action="store_true", help="1 000 devices × 100 readings: a sanity run")
    parser.add_argument("--rebuild", action="store_true", help="build the kept database again")
    parser.add_argument(
        "--profile", type=Path, help="sample the bot with py-spy meanwhile; raw stacks written here"
    )
    arguments = parser.parse_args()
    profile = arguments.profile.resolve() if arguments.profile else None
    asyncio.run(run(arguments.requests, arguments.quick, arguments.days, arguments.rebuild, profile))


if __name__ == "__main__":
    main()
