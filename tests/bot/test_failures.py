"""Telegram failures: blocked users, flood control, a failing update, stopping and bad configuration."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from sandbox.botapi import BotApiDouble
from sandbox.programs import BotProcess
from tests.kit.forkserver import run_to_end
from tests.kit.sql import execute, fetch


async def _is_active(engine: AsyncEngine, telegram_id: int) -> bool:
    rows = await fetch(engine, "SELECT is_active FROM users WHERE telegram_id = :id", id=telegram_id)
    return bool(rows[0][0])


async def _wait_until_inactive(engine: AsyncEngine, telegram_id: int, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while await _is_active(engine, telegram_id):
        assert time.monotonic() < deadline, "the user was not marked inactive"
        await asyncio.sleep(0.05)


async def test_user_who_blocked_the_bot_is_marked_inactive_until_they_return(
    tg: BotApiDouble, engine: AsyncEngine
) -> None:
    peggy = tg.user("Peggy")
    peggy.send("/start")
    await peggy.next_message()
    tg.block(peggy.id)
    peggy.send("/help")
    await _wait_until_inactive(engine, peggy.id)
    assert [call.error for call in tg.calls_to("sendMessage", peggy.id)][-1] == 403

    tg.unblock(peggy.id)
    peggy.send("/help")
    assert "What I can do" in ((await peggy.next_message()).text or "")
    assert await _is_active(engine, peggy.id)


async def test_flood_control_is_waited_out(tg: BotApiDouble) -> None:
    rupert = tg.user("Rupert")
    tg.throttle(rupert.id, retry_after=1)
    rupert.send("/help")
    reply = await rupert.next_message()
    assert "What I can do" in (reply.text or "")
    throttled, delivered = tg.calls_to("sendMessage", rupert.id)
    assert throttled.error == 429 and delivered.error is None
    assert delivered.at - throttled.at >= 1.0


async def test_a_failed_update_is_reported_and_the_bot_goes_on(tg: BotApiDouble) -> None:
    sybil = tg.user("Sybil")
    # Flood control longer than the bot is willing to wait: this update fails.
    tg.throttle(sybil.id, retry_after=3600)
    sybil.send("/help")
    apology = await sybil.next_message()
    assert apology.text == "Something went wrong on our side. Please try again in a minute."
    sybil.send("/help")
    assert "What I can do" in ((await sybil.next_message()).text or "")


async def test_the_bot_answers_as_usual_after_postgresql_dropped_its_connections(
    tg: BotApiDouble, engine: AsyncEngine
) -> None:
    # Updates' sessions have no pre-ping (bot.middlewares): the first statement finds the pooled
    # connection dead and runs again on a new one, instead of failing the update.
    trent = tg.user("Trent")
    trent.send("/status")
    assert "/add" in ((await trent.next_message()).text or "")
    # Each backend is gone before Trent writes again (the timeout makes PostgreSQL wait for it): on a busy
    # machine a backend that had not ended yet answered the update's first statement and died under its
    # second, an update PostgreSQL really broke halfway, which rightly ends in "Something went wrong".
    await execute(
        engine,
        "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    trent.send("/status")
    assert (await trent.next_message()).text == "You have no devices yet. Pair one with /add CODE."


async def test_sigterm_stops_the_bot_gracefully(database_url: str, tmp_path: Path) -> None:
    double = BotApiDouble()
    await double.start()
    try:
        bot = BotProcess(double, database_url, tmp_path)
        await bot.launch()
        assert await bot.stop() == 0
    finally:
        await double.close()


async def test_a_stop_that_outlasts_its_deadline_exits_70_and_logs_where_each_task_waits(
    database_url: str, tmp_path: Path
) -> None:
    """As the processor's: a deadline shorter than any stop stands in for an await that never returns."""
    double = BotApiDouble()
    await double.start()
    try:
        bot = BotProcess(double, database_url, tmp_path, STOP_DEADLINE_SECONDS="0.001")
        await bot.launch()
        assert await bot.stop() == 70
    finally:
        await double.close()
    log = bot.output()
    assert "bot did not stop within 0.0 s of being asked to; exiting status=70" in log
    assert "task " in log and "bot/__main__.py" in log and "  waits for <" in log, bot.tail()


async def test_missing_token_stops_the_bot_with_one_clear_line(tmp_path: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "BOT_TOKEN"}
    finished = await run_to_end("bot", env=environment, cwd=tmp_path)  # away from any .env
    assert finished.returncode == 2
    assert finished.stderr.strip() == "configuration error: BOT_TOKEN is required but not set"
