"""Database engine and sessions: one async engine per process, one session per unit of work."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


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
    (SQLAlchemy's asyncpg ping is BEGIN, an empty query, ROLLBACK); `pre_ping=False` is for a caller
    that retries its first statement itself when it finds its connection gone (`reconnecting`)."""
    return create_async_engine(sqlalchemy_url(url), pool_pre_ping=pre_ping, **kwargs)  # type: ignore[arg-type]


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
