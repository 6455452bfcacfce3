"""The one LISTEN loop: a dedicated PostgreSQL connection LISTENing on some channels, reconnecting by itself.

NOTIFYs sent while it was disconnected are lost, so every (re)connection starts with `on_connected`, which
re-reads the truth (the processor's device directory and pending desired state, the bot's outbox).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import asyncpg

from core.retry import DATABASE_ERRORS, Backoff, is_transient, wait_event

log = logging.getLogger(__name__)

# How often an idle LISTEN connection proves it is alive: a silently dead socket would miss every NOTIFY.
KEEPALIVE = 10.0


class Listener:
    """Calls `handlers[channel](payload)` for each NOTIFY; `run()` lasts until cancelled.

    A transient failure (PostgreSQL restarting, the connection cut) reconnects after a backoff delay; any
    other error is raised to the caller's supervisor.
    """

    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        handlers: Mapping[str, Callable[[str], None]],
        on_connected: Callable[[], Awaitable[None]],
        *,
        backoff: Backoff | None = None,
    ) -> None:
        self._connect = connect
        self._handlers = dict(handlers)
        self._on_connected = on_connected
        self._backoff = backoff or Backoff(first=0.2, ceiling=5.0)

    async def run(self) -> None:
        while True:
            try:
                await self._listen()
            except DATABASE_ERRORS as error:
                if not is_transient(error):
                    raise
                delay = self._backoff.next_delay()
                log.warning(
                    "listen connection lost, reconnecting channels=%s delay=%.1f error=%r",
                    ",".join(self._handlers),
                    delay,
                    error,
                )
                await asyncio.sleep(delay)

    async def _listen(self) -> None:
        connection = await self._connect()
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            for channel in self._handlers:
                await connection.add_listener(channel, self._notified)
            await self._on_connected()
            self._backoff.reset()
            log.info("listening channels=%s", ",".join(self._handlers))
            while not await wait_event(lost, KEEPALIVE):
                await connection.fetchval("SELECT 1", timeout=KEEPALIVE)
            raise ConnectionResetError("LISTEN connection terminated")
        finally:
            connection.terminate()

    def _notified(self, _connection: object, _pid: int, channel: str, payload: str) -> None:
        self._handlers[channel](payload)
