"""Database engine and sessions: one async engine per process, one session per unit of work."""

from __future__ import annotations

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# What a connection whose backend PostgreSQL terminated can also raise, besides "connection is closed", when
# its statement races the socket's close (sqlalchemy#13241, asyncpg#1069): the server's last words
# ("terminating connection due to administrator command", or a crash of another backend) read before the
# close itself, "connection was closed in the middle of operation", or asyncpg's protocol left out of step
# ("cannot switch to state 15; another operation (2) is in progress", e.g. a ROLLBACK after those last
# words). SQLAlchemy's asyncpg dialect counts none of them as a disconnect until asyncpg has seen the close,
# so the dead connection stayed in the session and the pool, and `on_live_connection` did not retry.
_LOST_CONNECTION = (
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InternalClientError,
)


def sqlalchemy_url(url: str) -> str:
    """The URL in the form SQLAlchemy's asyncpg dialect wants."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


def asyncpg_dsn(url: str) -> str:
    """The URL in the plain form asyncpg (COPY, LISTEN) wants."""
    return "postgresql://" + sqlalchemy_url(url).removeprefix("postgresql+asyncpg://")


def make_engine(url: str, *, pre_ping: bool = True, **kwargs: object) -> AsyncEngine:
    """An engine whose pool checks each connection before lending it (`pre_ping`), so a process survives a
    PostgreSQL restart without surfacing dead pooled connections. The check costs three round trips
    (SQLAlchemy's asyncpg ping is BEGIN, an empty query, ROLLBACK); `pre_ping=False` is for a caller that
    retries its first statement itself when it finds its connection gone (`core.retry.on_live_connection`)."""
    engine = create_async_engine(sqlalchemy_url(url), pool_pre_ping=pre_ping, **kwargs)  # type: ignore[arg-type]
    event.listen(engine.sync_engine, "handle_error", _count_lost_connection)
    return engine


def _count_lost_connection(context: ExceptionContext) -> None:
    """A lost connection is a disconnect: SQLAlchemy then drops it and the pool's older connections, and
    `DBAPIError.connection_invalidated` tells callers (core.retry) that trying again may succeed."""
    error = context.original_exception
    if isinstance(error, _LOST_CONNECTION) or isinstance(error.__cause__, _LOST_CONNECTION):
        context.is_disconnect = True


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
