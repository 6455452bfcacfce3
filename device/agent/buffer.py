"""Readings kept on local storage while the broker is unreachable, oldest dropped beyond a bound.

SQLite rather than a JSON-lines file: an insert is atomic, so a power cut mid-write (the usual way a
Raspberry Pi stops) loses at most that reading, never the file. It also keeps the agent's little state
(whether the device is paired).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS readings (id INTEGER PRIMARY KEY AUTOINCREMENT, payload BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


class ReadingBuffer:
    def __init__(self, path: Path, limit: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)  # autocommit: each statement is durable
        self._db.execute("PRAGMA journal_mode=WAL")
        for statement in SCHEMA:
            self._db.execute(statement)
        self._limit = limit

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM readings").fetchone()[0])

    def add(self, payload: bytes) -> None:
        self._db.execute("INSERT INTO readings (payload) VALUES (?)", (payload,))
        self._db.execute(
            "DELETE FROM readings WHERE id <= (SELECT max(id) FROM readings) - ?",
            (self._limit,),
        )

    def oldest(self, count: int) -> list[tuple[int, bytes]]:
        rows = self._db.execute("SELECT id, payload FROM readings ORDER BY id LIMIT ?", (count,))
        return [(int(row_id), bytes(payload)) for row_id, payload in rows]

    def remove_through(self, last_id: int) -> None:
        """Forget everything up to `last_id`, once the broker has acknowledged it."""
        self._db.execute("DELETE FROM readings WHERE id <= ?", (last_id,))

    def get_state(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, value))

    def close(self) -> None:
        self._db.close()
