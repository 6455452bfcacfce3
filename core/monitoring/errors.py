"""Unexpected errors of a program become operator notices (core.services.error_reports).

A logging handler is the one hook: every ERROR record, from a failed update, a batch that cannot be written,
or a background task that died and is restarted (its supervisor logs it), is reported. The handler itself
only appends to a bounded in-memory queue (it may be called from any thread, and must never wait for the
database); `run()` writes the queue out every second. Errors of the reporting itself are logged under this
module's logger, which the handler ignores, so a database outage cannot feed on itself.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.retry import DATABASE_ERRORS
from core.services import error_reports, node_health
from core.services.error_reports import Occurrence

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000


def kind_of(record: logging.LogRecord) -> str:
    """Where and what: the logger and the exception type (or the message's first words without one)."""
    if record.exc_info and record.exc_info[0] is not None:
        what = record.exc_info[0].__name__
    else:
        what = " ".join(str(record.msg).split()[:3])
    return f"{record.name}: {what}"


def message_of(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        text += f" ({record.exc_info[1]!r})"
    return text


class ErrorReporter(logging.Handler):
    """Install with `logging.getLogger().addHandler(reporter)`; run `reporter.run()` as a background task."""

    def __init__(
        self,
        program: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        operators: frozenset[int],
        registry: CollectorRegistry | None = None,
        interval: float = 1.0,
    ) -> None:
        super().__init__(level=logging.ERROR)
        self.program = program
        self._sessions = sessionmaker
        self._operators = operators
        self._interval = interval
        self._queue: collections.deque[tuple[str, str, datetime]] = collections.deque(maxlen=QUEUE_LIMIT)
        self.errors = Counter(
            "smartair_errors", "Unexpected errors logged, by kind", ["program", "kind"], registry=registry
        )

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == log.name:
            return
        try:
            kind = kind_of(record)
            self.errors.labels(self.program, kind).inc()
            # deque.append is atomic: safe from the threads of to_thread and executors.
            self._queue.append((kind, message_of(record), datetime.fromtimestamp(record.created, UTC)))
        except Exception:  # a logging handler must never raise into the code that logged
            self.handleError(record)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.flush_reports()

    async def flush_reports(self) -> None:
        """Write out what was queued: each kind counted once per round, with how often it occurred."""
        occurrences: dict[str, Occurrence] = {}
        while self._queue:
            kind, message, at = self._queue.popleft()
            seen = occurrences.get(kind)
            occurrences[kind] = Occurrence(self.program, kind, message, (seen.count if seen else 0) + 1, at)
        if not occurrences:
            return
        try:
            async with self._sessions() as session:
                for occurrence in occurrences.values():
                    await error_reports.report(session, occurrence, self._operators)
                last = max(occurrences.values(), key=lambda item: item.at)
                await node_health.record_error(session, self.program, f"{last.kind}: {last.message}", last.at)
                await session.commit()
        except DATABASE_ERRORS as error:
            log.warning("errors not reported kinds=%s error=%s", len(occurrences), type(error).__name__)
