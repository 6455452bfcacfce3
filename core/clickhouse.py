"""ClickHouse, the long-term telemetry store (`CLICKHOUSE_URL`, SPEC 10): the one place that talks to it.

The table's engine is ReplacingMergeTree ordered by (device_id, ts): a reading written twice (the processor
writes at least once) is one row after merges, and every read says FINAL, so a repeat is never seen. The
client is synchronous (`clickhouse-connect` over HTTP): callers run these functions in a thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core import catalogue
from core.models import METRICS

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

TABLE = "telemetry"
COLUMNS = ("device_id", "ts", *METRICS)
# A counter's register needs double precision (as in PostgreSQL: the `catalogue` migration says why).
_TYPES = {
    m.name: "Nullable(Float64)" if m.is_counter else "Nullable(Float32)" for m in catalogue.METRICS.values()
}
_DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    device_id UInt32,
    ts DateTime64(3, 'UTC'),
    {", ".join(f"{metric} {_TYPES[metric]}" for metric in METRICS)}
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (device_id, ts)
"""
# A table made before a metric joined the catalogue gets its column (a metadata-only change in ClickHouse).
_ADD_COLUMNS = [
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {metric} {_TYPES[metric]}" for metric in METRICS
]

# A row as written: (device_id, ts as a datetime, *metrics in METRICS order).
Row = tuple[Any, ...]


def row(device_id: int, ts: datetime, metrics: Mapping[str, float | None]) -> Row:
    """A Row from named metrics (tests, tools); the processor's export builds rows from readings."""
    return (device_id, ts, *(metrics.get(name) for name in METRICS))


class ClickHouseUnavailable(Exception):
    """ClickHouse could not be reached or refused the request; the message says why, without credentials."""


class Store:
    """One connection to ClickHouse, made (and the table created) on first use and again after a failure."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._client: Client | None = None

    def insert(self, rows: Sequence[Row]) -> None:
        """Write `rows`; raises ClickHouseUnavailable (nothing or all of them may have been written)."""
        self._call(lambda client: client.insert(TABLE, list(rows), column_names=list(COLUMNS)))

    def readings(
        self, device_id: int, start: datetime, end: datetime, metrics: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        """(ts, *metrics) of the device in [start, end), oldest first, each reading once."""
        wanted = [m for m in METRICS if m in metrics]
        # Column names come from METRICS only; values are bound by the client.
        query = (
            f"SELECT ts, {', '.join(wanted)} FROM {TABLE} FINAL"
            " WHERE device_id = %(device)s AND ts >= %(start)s AND ts < %(end)s ORDER BY ts"
        )
        parameters = {"device": device_id, "start": _naive_utc(start), "end": _naive_utc(end)}
        result = self._call(lambda client: client.query(query, parameters=parameters))
        return [(_aware(row[0]), *row[1:]) for row in result.result_rows]

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _call(self, work: Any) -> Any:
        # Imported on first use, not with this module: the bot and the processor import it whether or not
        # CLICKHOUSE_URL is set, and the driver adds most of a second of CPU to each start.
        import clickhouse_connect  # noqa: PLC0415
        from clickhouse_connect.driver.exceptions import ClickHouseError  # noqa: PLC0415

        try:
            if self._client is None:
                # Uncompressed: readings are small, ClickHouse is near, and the processor's CPU is for ingest.
                client = clickhouse_connect.get_client(dsn=self._url, compress=False)
                client.command(_DDL)
                for statement in _ADD_COLUMNS:
                    client.command(statement)
                self._client = client
            return work(self._client)
        except (ClickHouseError, OSError) as error:
            self.close()
            raise ClickHouseUnavailable(_first_line(error)) from None


def _naive_utc(moment: datetime) -> datetime:
    # Client-side binding writes a naive datetime as written; the column is UTC.
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__
