"""A pooled connection PostgreSQL terminated is found by a unit of work's first statement and replaced,
however the termination races that statement: it may surface as "connection is closed", as "connection was
closed in the middle of operation" or as asyncpg's protocol out of step (sqlalchemy#13241, asyncpg#1069)."""

from __future__ import annotations

import asyncio
import collections

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import make_engine, make_sessionmaker
from core.retry import on_live_connection

UNITS = 5  # at once: as many connections as the pool keeps
ROUNDS = 30
BACKEND = text("SELECT pg_backend_pid()")
TERMINATE = text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid")


async def test_first_statements_racing_the_termination_of_their_connections_all_succeed(
    database_url: str, engine: AsyncEngine
) -> None:
    # As the bot's update sessions: no pre-ping, the first statement runs again on a fresh connection.
    updates = make_engine(database_url, pre_ping=False, pool_size=UNITS)
    sessions = make_sessionmaker(updates)
    failures: collections.Counter[str] = collections.Counter()
    terminated: set[int] = set()

    async def unit(after: float, hold: asyncio.Event | None = None) -> int | None:
        """The backend that answered the unit's first statement; a failure is counted unless PostgreSQL
        terminated that backend after it answered (then the unit's end cannot succeed, nor should it)."""
        await asyncio.sleep(after)
        backend = None
        try:
            async with sessions() as session:
                backend = await on_live_connection(session, lambda: session.scalar(BACKEND))
                if hold is not None:
                    await hold.wait()  # every pooled connection checked out at once
        except Exception as error:  # counted: the assertion names each
            if backend not in terminated:
                failures[f"{type(error).__name__}: {str(error).splitlines()[0]}"] += 1
        return backend

    try:
        async with engine.connect() as admin:
            for _ in range(ROUNDS):
                hold = asyncio.Event()
                pooled = [asyncio.create_task(unit(0, hold)) for _ in range(UNITS)]
                await asyncio.sleep(0.005)
                hold.set()
                backends = [backend for backend in await asyncio.gather(*pooled) if backend is not None]
                terminated.update(backends)
                # The units start while PostgreSQL ends their pooled connections: before, during and after.
                terminating = admin.execute(TERMINATE, {"pids": backends})
                await asyncio.gather(terminating, *(unit(0.0005 * k) for k in range(UNITS)))
        assert failures == collections.Counter()
    finally:
        await updates.dispose()
