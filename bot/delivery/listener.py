"""LISTEN on core.notify.OUTBOX with a dedicated asyncpg connection, reconnecting whenever it drops."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg

from core import notify
from core.db import asyncpg_dsn

logger = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
# Shown in pg_stat_activity, so an operator (or a test) can tell this connection apart.
APPLICATION_NAME = "smartair_outbox_listener"


async def listen(database_url: str, wake: asyncio.Event, stop: asyncio.Event) -> None:
    """Set `wake` on every NOTIFY (and after each reconnect, in case one was missed) until `stop` is set."""
    backoff = 1.0
    while not stop.is_set():
        try:
            connection = await asyncpg.connect(
                asyncpg_dsn(database_url), timeout=10, server_settings={"application_name": APPLICATION_NAME}
            )
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            logger.warning("outbox listener cannot connect error=%s retry_in=%s", error, backoff)
            await _sleep_unless(stop, backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
            continue
        backoff = 1.0
        try:
            await _listen_until_lost(connection, wake, stop)
        finally:
            await _close(connection)


async def _listen_until_lost(
    connection: asyncpg.Connection, wake: asyncio.Event, stop: asyncio.Event
) -> None:
    lost = asyncio.Event()

    def on_notify(*_: Any) -> None:
        wake.set()

    connection.add_termination_listener(lambda _connection: lost.set())
    await connection.add_listener(notify.OUTBOX, on_notify)
    logger.info("outbox listener connected channel=%s", notify.OUTBOX)
    wake.set()  # whatever was queued while we were not listening
    while not stop.is_set() and not lost.is_set():
        # A silently dead TCP connection never reports termination: a cheap query every 30 s finds out.
        await _sleep_unless(stop, 30.0, also=lost)
        if stop.is_set() or lost.is_set():
            break
        try:
            await connection.execute("SELECT 1", timeout=10)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            logger.warning("outbox listener lost its connection error=%s", error)
            break


async def _close(connection: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(connection.close(), 5)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        connection.terminate()


async def _sleep_unless(stop: asyncio.Event, seconds: float, also: asyncio.Event | None = None) -> None:
    waiters = [asyncio.ensure_future(stop.wait())]
    if also is not None:
        waiters.append(asyncio.ensure_future(also.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
