"""`python -m processor.clickhouse_backfill --since 2026-11-30T00:00 [--until …]`: copy PostgreSQL's readings
of a period to ClickHouse again (`CLICKHOUSE_URL`).

For after a crash of the processor, whose ClickHouse spool lives in memory: readings it had stored but not
yet exported are still in PostgreSQL. Copying a period again is harmless (the table's engine keeps one row
per device and time), so an operator may pick a generous one. Prints how many readings it copied.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from sqlalchemy import select

from core.clickhouse import ClickHouseUnavailable, Store
from core.db import make_engine, make_sessionmaker
from core.models import METRICS, Telemetry
from core.settings import DatabaseSettings, GeneralSettings, load

CHUNK_ROWS = 20_000


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m processor.clickhouse_backfill", description="Copy a period's readings to ClickHouse."
    )
    parser.add_argument("--since", type=_moment, required=True, help="ISO date or time (UTC unless given)")
    parser.add_argument("--until", type=_moment, default=None, help="ISO date or time; now by default")
    return parser


async def backfill(database_url: str, store: Store, since: datetime, until: datetime) -> int:
    """Copy [since, until) from PostgreSQL to ClickHouse in chunks; how many readings were copied."""
    engine = make_engine(database_url)
    copied = 0
    try:
        async with make_sessionmaker(engine)() as session:
            query = (
                select(Telemetry.device_id, Telemetry.ts, *(getattr(Telemetry, m) for m in METRICS))
                .where(Telemetry.ts >= since, Telemetry.ts < until)
                .order_by(Telemetry.ts)
                .execution_options(yield_per=CHUNK_ROWS)
            )
            result = await session.stream(query)
            async for chunk in result.partitions(CHUNK_ROWS):
                await asyncio.to_thread(store.insert, [tuple(row) for row in chunk])
                copied += len(chunk)
    finally:
        await engine.dispose()
    return copied


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    database, general = load(DatabaseSettings), load(GeneralSettings)
    if not general.clickhouse_url:
        print("configuration error: CLICKHOUSE_URL is required but not set", file=sys.stderr)  # noqa: T201
        return 2
    until = args.until or datetime.now(UTC)
    store = Store(general.clickhouse_url)
    try:
        copied = asyncio.run(backfill(database.database_url, store, args.since, until))
    except ClickHouseUnavailable as error:
        print(f"ClickHouse unavailable: {error}", file=sys.stderr)  # noqa: T201 - the operator's console
        return 1
    finally:
        store.close()
    print(f"copied {copied} readings from {args.since.isoformat()} to {until.isoformat()}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
