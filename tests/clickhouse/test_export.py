"""The processor writes every stored reading to ClickHouse, never waiting for it, and catches up after an
outage (SPEC 10). ClickHouse here is the real engine embedded by chdb behind its HTTP interface."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from core.clickhouse import ClickHouseUnavailable, Store
from processor.clickhouse_export import ClickHouseExport, ExportOptions, exporting
from processor.clickhouse_spool import SpoolFile
from sandbox.broker import Broker
from sandbox.clickhouse_http import ClickHouseServer
from sandbox.ports import free_port
from sandbox.programs import ProcessorProcess
from sandbox.seed import new_uid, pair_device
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher, telemetry_rows

FAST = ExportOptions(flush_interval=0.2, log_interval=1.0, final_flush_seconds=5.0)


def _readings_in_clickhouse(clickhouse: ClickHouseServer, device_id: int) -> Callable[[], Any]:
    store = Store(clickhouse.url)
    far = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)

    async def read() -> list[tuple[Any, ...]]:
        try:
            return await asyncio.to_thread(store.readings, device_id, *far, ["co2", "temperature"])
        except ClickHouseUnavailable:
            return []

    return read


@pytest.fixture
async def export(clickhouse: ClickHouseServer) -> AsyncIterator[ClickHouseExport]:
    if clickhouse.process is None:
        clickhouse.start()
    async with exporting(clickhouse.url, FAST) as sink:
        yield sink


async def _publish(broker: Broker, uid: str, start: int, count: int) -> None:
    async with Publisher(broker) as device:
        for i in range(count):
            await device.send(topics.device_topic(uid, "telemetry"), {"timestamp": start + i, "co2": 500 + i})


@pytest.fixture
async def exported_device(
    start_processor: Callable[..., Any],
    export: ClickHouseExport,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> tuple[str, int]:
    """A paired device's uid and id, and a processor running with the ClickHouse export as a sink."""
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    await start_processor(sinks=[export])
    return uid, device_id


async def test_every_stored_reading_reaches_clickhouse_once(
    exported_device: tuple[str, int],
    export: ClickHouseExport,
    clickhouse: ClickHouseServer,
    broker: Broker,
    database_url: str,
) -> None:
    uid, device_id = exported_device
    start = int(time.time()) - 600
    await _publish(broker, uid, start, 40)
    await _publish(broker, uid, start, 40)  # the same readings again: stored once, exported once

    read = _readings_in_clickhouse(clickhouse, device_id)
    rows = await eventually(lambda: _when(read, lambda r: len(r) >= 40), within=60)
    assert [(row[0], row[1]) for row in rows] == [
        (datetime.fromtimestamp(start + i, UTC), 500.0 + i) for i in range(40)
    ]
    assert len(await telemetry_rows(database_url, device_id)) == 40
    assert await eventually(lambda: _value(export.lag_rows == 0))


async def test_an_outage_is_spooled_without_holding_up_postgresql_then_caught_up(
    exported_device: tuple[str, int],
    export: ClickHouseExport,
    clickhouse: ClickHouseServer,
    broker: Broker,
    database_url: str,
) -> None:
    uid, device_id = exported_device
    clickhouse.stop()
    start = int(time.time()) - 300
    await _publish(broker, uid, start, 30)

    # PostgreSQL gets everything while ClickHouse is down; the export only falls behind.
    await eventually(lambda: _when(lambda: telemetry_rows(database_url, device_id), lambda r: len(r) == 30))
    await eventually(lambda: _value(export.lag_rows >= 30))
    written_before = export.written

    clickhouse.start()
    read = _readings_in_clickhouse(clickhouse, device_id)
    rows = await eventually(lambda: _when(read, lambda r: len(r) == 30), within=90)
    assert [row[1] for row in rows] == [500.0 + i for i in range(30)]
    await eventually(lambda: _value(export.lag_rows == 0))
    assert export.written >= written_before + 30
    assert export.dropped == 0


async def test_a_full_spool_drops_and_counts_what_does_not_fit(
    start_processor: Callable[..., Any],
    clickhouse: ClickHouseServer,
    broker: Broker,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    clickhouse.stop()
    try:
        async with exporting(clickhouse.url, ExportOptions(spool_rows=10, final_flush_seconds=0.5)) as small:
            await start_processor(sinks=[small])
            await _publish(broker, uid, int(time.time()) - 200, 15)
            await eventually(
                lambda: _when(lambda: telemetry_rows(database_url, device_id), lambda r: len(r) == 15)
            )
            await eventually(lambda: _value(small.lag_rows + small.dropped == 15))
            assert small.lag_rows == 10
            assert small.dropped == 5
    finally:
        clickhouse.start()


async def _metrics_when_caught_up(port: int) -> str | None:
    async with aiohttp.ClientSession() as client, client.get(f"http://127.0.0.1:{port}/metrics") as response:
        text = await response.text()
    return text if "smartair_clickhouse_lag_rows 0.0" in text else None


async def _when(read: Callable[[], Any], ok: Callable[[Any], bool]) -> Any:
    result = await read()
    return result if ok(result) else None


async def _value(condition: bool) -> bool:
    return condition


async def test_python_m_processor_exports_when_clickhouse_url_is_set(
    *,
    clickhouse: ClickHouseServer,
    broker: Broker,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    if clickhouse.process is None:
        clickhouse.start()
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    http_port = free_port()
    process = ProcessorProcess(
        database_url, broker, tmp_path, CLICKHOUSE_URL=clickhouse.url, PROCESSOR_HTTP_PORT=str(http_port)
    )
    process.start()
    try:
        await process.ready()
        await _publish(broker, uid, int(time.time()) - 100, 5)
        read = _readings_in_clickhouse(clickhouse, device_id)
        rows = await eventually(lambda: _when(read, lambda r: len(r) == 5), within=60)
        assert [row[1] for row in rows] == [500.0 + i for i in range(5)]
        metrics = await eventually(lambda: _metrics_when_caught_up(http_port))
        assert "smartair_clickhouse_readings_written_total 5.0" in metrics
    finally:
        assert await process.stop() == 0
    assert "clickhouse export written=5 dropped=0 lag_rows=0" in process.output()


async def test_readings_a_crash_left_unexported_are_copied_again_by_hand(
    clickhouse: ClickHouseServer, database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    if clickhouse.process is None:
        clickhouse.start()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=new_uid())
    since = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    async with sessionmaker() as session:
        days = {"first": since.date(), "last": datetime.now(UTC).date()}
        await session.execute(text("SELECT telemetry_ensure_partitions(:first, :last)"), days)
        for i in range(7):
            await session.execute(
                text("INSERT INTO telemetry (device_id, ts, co2) VALUES (:id, :ts, :co2)"),
                {"id": device_id, "ts": since + timedelta(minutes=i), "co2": 700 + i},
            )
        await session.commit()
    env = {**os.environ, "DATABASE_URL": database_url, "CLICKHOUSE_URL": clickhouse.url}
    command = [sys.executable, "-m", "processor.clickhouse_backfill", "--since", since.isoformat()]
    for _ in range(2):  # copying again is harmless
        done = await asyncio.to_thread(
            subprocess.run, command, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("copied ")
    rows = await _readings_in_clickhouse(clickhouse, device_id)()
    assert [row[1] for row in rows] == [700.0 + i for i in range(7)]


async def _lag_rows(port: int, rows: int) -> bool:
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            return f"smartair_clickhouse_lag_rows {float(rows)}" in await response.text()
    except aiohttp.ClientError:
        return False


async def test_readings_spooled_when_the_processor_is_killed_reach_clickhouse_after_its_restart(
    *,
    clickhouse: ClickHouseServer,
    broker: Broker,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    if clickhouse.process is None:
        clickhouse.start()
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    port = free_port()
    settings = {
        "CLICKHOUSE_URL": clickhouse.url,
        "CLICKHOUSE_SPOOL_DIR": str(tmp_path / "spool"),
        "PROCESSOR_HTTP_PORT": str(port),
    }
    client_id = f"spool-{uid}"
    clickhouse.stop()
    try:
        crashed = ProcessorProcess(database_url, broker, tmp_path, client_id, **settings)
        crashed.start()
        await crashed.ready()
        await _publish(broker, uid, int(time.time()) - 100, 12)
        # Stored in PostgreSQL, spooled for ClickHouse, which is out of reach: then the processor dies.
        await eventually(
            lambda: _when(lambda: telemetry_rows(database_url, device_id), lambda r: len(r) == 12)
        )
        await eventually(lambda: _lag_rows(port, 12))
        crashed.kill()
    finally:
        clickhouse.start()

    restarted = ProcessorProcess(database_url, broker, tmp_path, client_id, **settings)
    restarted.start()
    try:
        await restarted.ready()
        read = _readings_in_clickhouse(clickhouse, device_id)
        rows = await eventually(lambda: _when(read, lambda r: len(r) == 12), within=60)
        assert [row[1] for row in rows] == [500.0 + i for i in range(12)]
        await eventually(lambda: _lag_rows(port, 0))
    finally:
        assert await restarted.stop() == 0
    assert "clickhouse spool recovered rows=12" in restarted.output()
    # Accepted, the spool is empty again: a third start has nothing to send.
    assert (tmp_path / "spool" / f"{client_id}.spool").read_bytes() == b""


def test_the_spool_file_gives_back_only_rows_not_accepted_and_survives_a_torn_last_line(
    tmp_path: Path,
) -> None:
    rows = [(7, 1764504000 + i, 500.0 + i, None) for i in range(5)]
    first = SpoolFile.open(tmp_path, "p1")
    assert first is not None
    assert first.recovered() == []
    first.append(rows[:2])
    first.append(rows[2:])
    first.accepted(3)
    first.close()
    with (tmp_path / "p1.spool").open("ab") as spool:
        spool.write(b"[[7,1764504000.0,5")  # the process died inside a write
    again = SpoolFile.open(tmp_path, "p1")
    assert again is not None
    assert again.recovered() == rows[3:]
    again.accepted(2)
    again.close()
    last = SpoolFile.open(tmp_path, "p1")
    assert last is not None
    assert last.recovered() == []
    # A directory that cannot be used leaves the export in memory only, never stops the processor.
    (tmp_path / "a-file").write_text("")
    assert SpoolFile.open(tmp_path / "a-file", "p1") is None
