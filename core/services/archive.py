"""Readings older than PostgreSQL keeps (`TELEMETRY_RETENTION_DAYS`) come from ClickHouse (`CLICKHOUSE_URL`).

The bot configures it once at start; /history and /export then read [start, cutoff) from ClickHouse and
[cutoff, end) from PostgreSQL, where cutoff is the oldest day retention keeps. Without ClickHouse everything
is read from PostgreSQL, as before. ClickHouse out of reach is logged and read as "no older readings": the
user still gets what PostgreSQL has.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Any

from core.clickhouse import ClickHouseUnavailable, Store
from core.services.retention import keep_from

log = logging.getLogger(__name__)

_store: Store | None = None
_retention_days = 0


def configure(clickhouse_url: str, retention_days: int) -> None:
    """At start: read periods older than `retention_days` from ClickHouse at `clickhouse_url` (empty: off)."""
    global _store, _retention_days  # noqa: PLW0603 - one store per process, set once at start
    _store = Store(clickhouse_url) if clickhouse_url else None
    _retention_days = retention_days


def cutoff(now: datetime | None = None) -> datetime | None:
    """Where PostgreSQL's readings begin when older ones are archived; None while no archive is configured."""
    if _store is None:
        return None
    day = keep_from((now or datetime.now(UTC)).date(), _retention_days)
    return datetime.combine(day, time(), UTC)


async def older_readings(
    device_id: int, start: datetime, end: datetime, metrics: Sequence[str]
) -> list[tuple[Any, ...]]:
    """(ts, *metrics) of the device in [start, min(end, cutoff)) from ClickHouse, oldest first."""
    limit = cutoff()
    if _store is None or limit is None or start >= limit:
        return []
    try:
        return await asyncio.to_thread(_store.readings, device_id, start, min(end, limit), metrics)
    except ClickHouseUnavailable as error:
        log.warning("clickhouse unavailable, older readings left out device_id=%s error=%s", device_id, error)
        return []
