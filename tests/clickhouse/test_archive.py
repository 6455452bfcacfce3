"""/history and /export read periods older than PostgreSQL keeps from ClickHouse (SPEC 10)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clickhouse import Store, row
from core.services import archive, export, history
from core.services.periods import Window
from sandbox.clickhouse_http import ClickHouseServer
from sandbox.ports import free_port
from sandbox.seed import new_uid, pair_device

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime.now(UTC).replace(microsecond=0)
RETENTION_DAYS = 400


@pytest.fixture
def archived(clickhouse: ClickHouseServer) -> Iterator[None]:
    if clickhouse.process is None:
        clickhouse.start()
    archive.configure(clickhouse.url, RETENTION_DAYS)
    yield
    archive.configure("", RETENTION_DAYS)


async def _in_postgres(sessionmaker: Sessions, device_id: int, ts: datetime, co2: float) -> None:
    async with sessionmaker() as session:
        await session.execute(text("SELECT telemetry_ensure_partition(:day)"), {"day": ts.date()})
        await session.execute(
            text("INSERT INTO telemetry (device_id, ts, co2) VALUES (:id, :ts, :co2)"),
            {"id": device_id, "ts": ts, "co2": co2},
        )
        await session.commit()


async def _device_with_history(sessionmaker: Sessions, clickhouse: ClickHouseServer) -> tuple[int, datetime]:
    """Readings 500 days ago in ClickHouse only, yesterday's in PostgreSQL (and ClickHouse, as exported),
    and one past the cutoff still in PostgreSQL (its partition not dropped yet) and in ClickHouse."""
    device_id = await pair_device(sessionmaker, device_type="multi", uid=new_uid())
    old = NOW - timedelta(days=500)
    past_cutoff = NOW - timedelta(days=RETENTION_DAYS + 2)
    yesterday = NOW - timedelta(days=1)
    rows = [row(device_id, old + timedelta(minutes=i), {"co2": 400.0 + i}) for i in range(3)]
    rows += [row(device_id, past_cutoff, {"co2": 450.0})]
    rows += [row(device_id, yesterday + timedelta(minutes=i), {"co2": 600.0 + i}) for i in range(2)]
    await asyncio.to_thread(Store(clickhouse.url).insert, rows)
    await _in_postgres(sessionmaker, device_id, past_cutoff, 450.0)
    for i in range(2):
        await _in_postgres(sessionmaker, device_id, yesterday + timedelta(minutes=i), 600.0 + i)
    return device_id, old


async def _csv_co2(sessionmaker: Sessions, device_id: int, window: Window) -> list[str]:
    out = io.StringIO(newline="")
    async with sessionmaker() as session:
        await export.write_csv(session, device_id, window, "UTC", out)
    rows = list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    co2 = rows[0].index("co2")
    return [row[co2] for row in rows[1:]]


@pytest.mark.usefixtures("archived")
async def test_export_reads_the_archive_before_the_cutoff_and_postgresql_after_it_each_reading_once(
    sessionmaker: Sessions, clickhouse: ClickHouseServer
) -> None:
    device_id, _ = await _device_with_history(sessionmaker, clickhouse)
    values = await _csv_co2(sessionmaker, device_id, Window(NOW - timedelta(days=600), NOW))
    assert values == ["400", "401", "402", "450", "600", "601"]


@pytest.mark.usefixtures("archived")
async def test_history_of_a_period_past_retention_comes_from_the_archive(
    sessionmaker: Sessions, clickhouse: ClickHouseServer
) -> None:
    device_id, old = await _device_with_history(sessionmaker, clickhouse)
    async with sessionmaker() as session:
        data = await history.load(
            session, device_id, old - timedelta(hours=1), old + timedelta(hours=1), ["co2"]
        )
    assert not data.hourly
    assert [(sample.ts, sample.value) for sample in data.series["co2"]] == [
        (old + timedelta(minutes=i), 400.0 + i) for i in range(3)
    ]


async def test_without_a_reachable_archive_export_gives_what_postgresql_has(
    sessionmaker: Sessions, clickhouse: ClickHouseServer
) -> None:
    if clickhouse.process is None:
        clickhouse.start()
    device_id, _ = await _device_with_history(sessionmaker, clickhouse)
    archive.configure(f"http://127.0.0.1:{free_port()}", RETENTION_DAYS)
    try:
        values = await _csv_co2(sessionmaker, device_id, Window(NOW - timedelta(days=600), NOW))
    finally:
        archive.configure("", RETENTION_DAYS)
    assert values == ["600", "601"]
