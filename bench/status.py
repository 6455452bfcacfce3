"""/status benchmark (SPEC section 9): a user with 20 devices among 10 000 devices and 10 M readings.

    python -m bench.status [--requests 200] [--quick]

A private database (real alembic schema) gets 10 000 devices, two per user, and 1 000 readings per device
spread over the last `--days` days (daily partitions, each device's newest reading a moment ago), written
with COPY; one more user owns 20 of the devices. The real bot (`python -m bot`) runs against the local Bot
API double; a request is that user's "/status" pushed to the double, and the clock stops when the answer
arrives there, so the figure covers polling, the database and the reply.

Baseline, interleaved with the bot's requests in the same run: the same service call (core.services.devices
.my_devices) made directly from this process: what the database part costs on this machine right now.
`--quick` builds a tenth of the devices with a tenth of the readings each, for a sanity run.
"""

from __future__ import annotations

import argparse
import asyncio
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
from core.db import make_engine, make_sessionmaker
from core.services import devices
from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.database import drop_database, migrated_database
from sandbox.programs import BotProcess

USER_DEVICES = 20
DEVICES_PER_FILLER_USER = 2
TARGET_P99_MS = 50.0
TIMEOUT_S = 30.0


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


async def run(requests: int, quick: bool, days: int) -> None:
    device_count, readings = (1000, 100) if quick else (10_000, 1000)
    name, url = await migrated_database("smartair_bench")
    double = BotApiDouble()
    bot = BotProcess(double, url, Path(tempfile.mkdtemp(prefix="smartair-bench-status-")))
    engine = make_engine(url)
    try:
        await double.start()
        person = double.user("Status")
        started = time.monotonic()
        user_id = await seed(url, person, device_count, readings, days)
        say(
            f"seeded {device_count} devices, {device_count * readings:,} readings over {days} days"
            f" with COPY in {time.monotonic() - started:.0f} s"
        )
        sessions = make_sessionmaker(engine)

        async def direct() -> float:
            begun = time.monotonic()
            async with sessions() as session:
                mine = await devices.my_devices(session, user_id)
            if len(mine) != USER_DEVICES or any(device.reading is None for device in mine):
                raise RuntimeError(f"expected {USER_DEVICES} devices with readings, got {len(mine)}")
            return time.monotonic() - begun

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

        bot_times: list[float] = []
        direct_times: list[float] = []
        for _ in range(requests):
            # Interleaved, so both see the same machine: a shared box's load comes and goes.
            bot_times.append(await status_request(person))
            direct_times.append(await direct())
        report(bot_times, direct_times)
    finally:
        await bot.stop()
        await engine.dispose()
        await double.close()
        await drop_database(name)


def _compiled(user_id: int) -> str:
    query = devices._summaries_query(user_id)
    return str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def report(bot_times: list[float], direct_times: list[float]) -> None:
    bot_ms = [1000 * v for v in bot_times]
    direct_ms = [1000 * v for v in direct_times]
    say(f"/status: {len(bot_ms)} requests through the bot, each followed by a direct call")
    say(machine_load())
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
    arguments = parser.parse_args()
    asyncio.run(run(arguments.requests, arguments.quick, arguments.days))


if __name__ == "__main__":
    main()
