"""Which failures are worth waiting out (PostgreSQL restarting, a connection cut) and how long to wait."""

from __future__ import annotations

import asyncpg
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

# Everything a database call can raise; what to catch around one, then sort with is_transient().
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    SQLAlchemyError,
)

_TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable
    TimeoutError,
    asyncpg.InterfaceError,  # the connection is closed or broken
    asyncpg.PostgresConnectionError,  # SQLSTATE 08xxx
    asyncpg.OperatorInterventionError,  # 57xxx: admin shutdown, terminated backend, starting up
    asyncpg.InsufficientResourcesError,  # 53xxx: too many connections, out of memory
    asyncpg.TransactionRollbackError,  # 40xxx: deadlock or serialization failure, safe to run again
    asyncpg.ObjectNotInPrerequisiteStateError,  # 55000: the database does not accept connections right now
)


def is_transient(error: BaseException) -> bool:
    """True if running the same work again later may succeed; looks through SQLAlchemy's wrappers."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 6:
        if isinstance(current, _TRANSIENT):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
        seen += 1
    return False


class Backoff:
    """Exponential delays between `first` and `ceiling` seconds; reset() after a success."""

    def __init__(self, first: float = 0.2, ceiling: float = 5.0) -> None:
        self._first = first
        self._ceiling = ceiling
        self._next = first

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self._ceiling)
        return delay

    def reset(self) -> None:
        self._next = self._first
