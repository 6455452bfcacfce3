"""What the processor has done, per reason: counted always, logged as one key=value line periodically, and
exported on /metrics (processor.metrics reads these; nothing is counted twice).

Drops are also logged individually, but at most once a minute per (device, reason): a broken device sending
garbage ten times a second must not drown the log.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

from prometheus_client import Histogram

log = logging.getLogger("processor.counters")

DROP_LOG_INTERVAL = 60.0
# Bounds the throttle's memory under a flood of distinct uids; clearing it only means one more log line each.
_MAX_THROTTLE_KEYS = 100_000
_PAYLOAD_PREVIEW = 120


class Counters:
    """Monotonic counters; drop reasons are kept as `dropped_<reason>`."""

    def __init__(self) -> None:
        self.values: Counter[str] = Counter()
        self._last_logged: dict[tuple[str, str], float] = {}
        self._last_traceback: dict[str, float] = {}
        # Not registered anywhere: processor.metrics yields them with the counters.
        self.batch_rows = Histogram(
            "smartair_processor_batch_rows",
            "Readings per committed batch",
            buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000),
            registry=None,
        )
        self.commit_seconds = Histogram(
            "smartair_processor_commit_seconds",
            "Time to write and commit one batch, retries included",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=None,
        )

    def observe_batch(self, rows: int, seconds: float) -> None:
        self.batch_rows.observe(rows)
        self.commit_seconds.observe(seconds)

    def add(self, name: str, amount: int = 1) -> None:
        self.values[name] += amount

    def drop(self, reason: str, uid: str, topic: str, payload: bytes, amount: int = 1) -> None:
        self.values["dropped"] += amount
        self.values["dropped_" + reason] += amount
        key = (uid, reason)
        now = time.monotonic()
        if now - self._last_logged.get(key, -DROP_LOG_INTERVAL) < DROP_LOG_INTERVAL:
            return
        if len(self._last_logged) >= _MAX_THROTTLE_KEYS:
            self._last_logged.clear()
        self._last_logged[key] = now
        log.warning(
            "dropped uid=%s reason=%s topic=%s payload=%r", uid, reason, topic, payload[:_PAYLOAD_PREVIEW]
        )

    def failed(self, reason: str, uid: str, topic: str, payload: bytes) -> None:
        """A message that broke our code (call from an `except` block): dropped, counted, and its traceback
        logged at most once a minute per reason, whatever the device."""
        self.values["dropped"] += 1
        self.values["dropped_" + reason] += 1
        now = time.monotonic()
        if now - self._last_traceback.get(reason, -DROP_LOG_INTERVAL) < DROP_LOG_INTERVAL:
            return
        self._last_traceback[reason] = now
        log.exception(
            "dropped uid=%s reason=%s topic=%s payload=%r", uid, reason, topic, payload[:_PAYLOAD_PREVIEW]
        )

    def line(self) -> str:
        return " ".join(f"{name}={value}" for name, value in sorted(self.values.items()))

    def log_line(self) -> None:
        log.info("processor counters %s", self.line())
