"""Operators watch both programs: errors reach them throttled, /admin shows node health, and each program
answers /metrics (Prometheus text) and a /healthz that fails while its database or broker is away."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.monitoring.errors import ErrorReporter
from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.broker import Broker
from sandbox.database import SERVER_URL
from sandbox.ports import free_port
from sandbox.programs import ROOT, BotProcess
from sandbox.seed import Sessions
from tests.kit.sql import execute, fetch
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher


async def _get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as client, client.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


async def _status(port: int, path: str, wanted: int) -> bool:
    try:
        return (await _get(port, path))[0] == wanted
    except aiohttp.ClientError:
        return False


async def test_repeated_errors_reach_the_operator_once_per_ten_minutes_with_a_count(
    tg: BotApiDouble, operator: TelegramUser, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    operator.send("/start")  # an operator gets notices once the bot may write to them
    await operator.next_message()
    reporter = ErrorReporter("processor", sessionmaker, frozenset({operator.id}))
    source = logging.getLogger("processor.writer")
    source.addHandler(reporter)
    try:
        for _ in range(3):
            try:
                raise KeyError("device 7")
            except KeyError:
                source.exception("batch cannot be written rows=%s", 12)
        await reporter.flush_reports()
        first = await operator.next_message(timeout=20)
        assert "processor" in (first.text or "") and "processor.writer: KeyError" in (first.text or "")
        assert "batch cannot be written rows=12" in (first.text or "")
        assert "2 more times" in (first.text or "")

        # Within ten minutes the same kind is only counted...
        source.error("batch cannot be written rows=%s", 13, exc_info=KeyError("device 8"))
        await reporter.flush_reports()
        await _at_most_one_notice(engine, operator)
        # ...and the next notice after the window says how often it happened meanwhile.
        await execute(engine, "UPDATE error_reports SET last_sent_at = last_sent_at - interval '11 minutes'")
        source.error("batch cannot be written rows=%s", 14, exc_info=KeyError("device 9"))
        await reporter.flush_reports()
        second = await operator.next_message(timeout=20)
        assert "rows=14" in (second.text or "") and "1 more times" in (second.text or "")
    finally:
        source.removeHandler(reporter)


async def _at_most_one_notice(engine: AsyncEngine, operator: TelegramUser) -> None:
    rows = await fetch(
        engine,
        "SELECT count(*) FROM notification_outbox o JOIN users u ON u.id = o.user_id"
        " WHERE o.kind = 'operator_error' AND u.telegram_id = :id",
        id=operator.id,
    )
    assert rows == [(1,)]


async def test_the_bot_serves_metrics_and_health_and_admin_shows_its_uptime(
    tg: BotApiDouble, operator: TelegramUser, admin_http_port: int
) -> None:
    status, health = await _get(admin_http_port, "/healthz")
    assert status == 200 and '"database": true' in health
    status, metrics = await _get(admin_http_port, "/metrics")
    assert status == 200
    for family in ("smartair_outbox_depth", "smartair_bot_deliveries_total", "smartair_broadcast_messages"):
        assert f"# TYPE {family.removesuffix('_total')}" in metrics, family
    assert "smartair_outbox_depth " in metrics

    operator.send("/admin")
    board = (await operator.next_message()).text or ""
    assert "• bot: up" in board


@pytest.fixture
async def own_broker(tmp_path: Path) -> AsyncIterator[Broker]:
    broker = Broker(workdir=tmp_path)
    broker.start()
    yield broker
    broker.stop()


async def test_the_processor_serves_metrics_and_health_and_health_fails_without_its_broker(
    tg: BotApiDouble, operator: TelegramUser, own_broker: Broker, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    environment = {
        "DATABASE_URL": database_url,
        "MQTT_HOST": own_broker.host,
        "MQTT_PORT": str(own_broker.port),
        "MQTT_CLIENT_ID": "ops-test-processor",
        "PROCESSOR_HTTP_PORT": str(port),
        "ADMIN_USER_IDS": str(operator.id),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "processor", cwd=ROOT, env={**os.environ, **environment}
    )
    try:
        await eventually(lambda: _status(port, "/healthz", 200), within=60)
        async with Publisher(own_broker) as device:
            await device.send("devices/nobody-here/telemetry", b"{not json")
        # A message of no known device: received, then dropped with its reason, and acknowledged.
        metrics = await eventually(
            lambda: _metrics_with(port, 'smartair_processor_messages_dropped_total{reason="')
        )
        assert "smartair_processor_messages_received_total 1.0" in metrics
        assert "smartair_processor_commit_seconds_bucket" in metrics
        assert "smartair_processor_acks_pending 0.0" in metrics
        assert "smartair_processor_broker_connected 1.0" in metrics

        operator.send("/admin")
        assert "• processor: up" in ((await operator.next_message()).text or "")

        own_broker.stop()
        await eventually(lambda: _status(port, "/healthz", 503), within=30)
        own_broker.start()
        await eventually(lambda: _status(port, "/healthz", 200), within=60)
    finally:
        process.terminate()
        await process.wait()


async def _metrics_with(port: int, line: str) -> str | None:
    status, metrics = await _get(port, "/metrics")
    return metrics if status == 200 and line in metrics else None


async def test_the_bot_health_fails_while_its_database_is_away(
    tg: BotApiDouble, bot: BotProcess, admin_http_port: int, database_url: str
) -> None:
    # The machine's PostgreSQL is shared: "down" is reproduced inside this package's database only.
    database = database_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(SERVER_URL)
    try:
        await admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
            )
            await eventually(lambda: _status(admin_http_port, "/healthz", 503), within=30)
        finally:
            await admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
    finally:
        await admin.close()
    await eventually(lambda: _status(admin_http_port, "/healthz", 200), within=30)
    assert bot.alive  # it waited for its database, it did not die
