"""The ClickHouse export's spool on disk: what was stored in PostgreSQL but not yet accepted by ClickHouse
survives a crash of the processor (kill -9, out of memory) and is exported after the next start.

Two files per processor (named by its MQTT client id, so replicas in a shared group never share one):
`<id>.spool`, append-only, one record per committed batch of rows, written with one `os.write` as the batch
is spooled (the kernel keeps it when the process dies; a torn last record is skipped); and `<id>.done`,
how many of those rows ClickHouse has accepted, replaced atomically after each accepted batch. Once the spool
is empty, `.done` goes back to 0 and the file is emptied (in that order: a crash in between re-exports rows
ClickHouse already has, which its table makes harmless, and never skips one). At start the rows not done are
read back and the file rewritten with only them.

A record is a 4-byte length and the batch in `marshal` form: about a third of what building the rows costs
anyway, where JSON cost three times as much (measured here, on a busy machine: ratios, not absolutes).
marshal's format may change between Python versions: a record the running Python cannot read is skipped and
logged (`python -m processor.clickhouse_backfill` copies the period again).
"""

from __future__ import annotations

import logging
import marshal
import os
import struct
from collections.abc import Sequence
from pathlib import Path

from core.clickhouse import Row

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("<I")


class SpoolFile:
    @classmethod
    def open(cls, directory: Path, name: str) -> SpoolFile | None:
        """The spool file in `directory`, its rows from a previous run recovered; None (logged as an error:
        the export then lives in memory only) when the directory cannot be used."""
        spool = cls(directory, name)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            spool._recover()
        except OSError as error:
            log.error(
                "clickhouse spool file unusable, spooling in memory only dir=%s error=%s", directory, error
            )
            return None
        return spool

    def __init__(self, directory: Path, name: str) -> None:
        self._recovered: list[Row] = []
        self._path = directory / f"{name}.spool"
        self._done_path = directory / f"{name}.done"
        self._appended = 0
        self._done = 0
        self._fd = -1

    def recovered(self) -> list[Row]:
        """The rows a previous run spooled and ClickHouse never accepted, oldest first (handed over once)."""
        rows, self._recovered = self._recovered, []
        return rows

    def _recover(self) -> None:
        """Read back what a previous run left unaccepted and rewrite the file with only that."""
        rows = self._read_rows()[self._read_done() :]
        temporary = self._path.with_name(self._path.name + ".tmp")
        temporary.write_bytes(_encode(rows) if rows else b"")
        os.replace(temporary, self._path)
        self._write_done(0)
        self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND)
        self._appended, self._done = len(rows), 0
        if rows:
            log.info("clickhouse spool recovered rows=%s file=%s", len(rows), self._path)
        self._recovered = rows

    def append(self, rows: Sequence[Row]) -> None:
        if rows:
            os.write(self._fd, _encode(rows))
            self._appended += len(rows)

    def accepted(self, count: int) -> None:
        """`count` more rows, oldest first, are in ClickHouse."""
        self._done += count
        if self._done >= self._appended:
            self._write_done(0)
            os.ftruncate(self._fd, 0)
            self._appended = self._done = 0
        else:
            self._write_done(self._done)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _read_rows(self) -> list[Row]:
        try:
            data = self._path.read_bytes()
        except FileNotFoundError:
            return []
        rows: list[Row] = []
        offset = 0
        while offset + _LENGTH.size <= len(data):
            (size,) = _LENGTH.unpack_from(data, offset)
            record = data[offset + _LENGTH.size : offset + _LENGTH.size + size]
            offset += _LENGTH.size + size
            if len(record) < size:
                break  # the process died inside this write: the last record is torn
            try:
                rows.extend(marshal.loads(record))
            except (ValueError, EOFError, TypeError):
                log.warning(
                    "clickhouse spool record unreadable, skipped rows_before=%s file=%s",
                    len(rows),
                    self._path,
                )
        return rows

    def _read_done(self) -> int:
        try:
            return int(self._done_path.read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def _write_done(self, count: int) -> None:
        temporary = self._done_path.with_name(self._done_path.name + ".tmp")
        temporary.write_text(str(count))
        os.replace(temporary, self._done_path)


def _encode(rows: Sequence[Row]) -> bytes:
    record = marshal.dumps(list(rows))
    return _LENGTH.pack(len(record)) + record
