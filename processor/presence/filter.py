"""Which devices' rows a batch must update: skip the ones whose stored presence is already current enough.

Rewriting every reporting device's `devices` row in every batch was a quarter of PostgreSQL's time in the
ingest benchmark (bench/ingest_findings.md). This process remembers what it last committed for each device
and leaves a row alone when nothing but `last_seen` moved, by less than `LAST_SEEN_PRECISION`.

What that gives up, on purpose: `devices.last_seen` may lag the newest message by up to
`LAST_SEEN_PRECISION`. The offline sweep judges silence by last_seen, so it is told this lag
(`sweep_silent_devices(..., last_seen_lag=LAST_SEEN_PRECISION)`) and adds it to the silence it waits for:
a device is never declared offline before the SPEC's 90 s (or 3 report intervals) of real silence.
Back online needs a changed `is_online`, always written.
With several processors sharing the subscription, another one may write `is_online = false` (a Last Will
it received) behind our back; our next write of that device comes at most `LAST_SEEN_PRECISION` later, so a
wrong "offline" lasts that long at most. The offline sweep writes `is_online = false` only after 90 s of
silence, by which time last_seen has moved far enough to be written anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from core.telemetry_store import Presence

LAST_SEEN_PRECISION = timedelta(seconds=5)
# Forget everything beyond this many devices: a write too many, never a stale skip.
MAX_REMEMBERED = 1_000_000


class PresenceFilter:
    def __init__(self, precision: timedelta = LAST_SEEN_PRECISION) -> None:
        self._precision = precision.total_seconds()
        self._written: dict[int, Presence] = {}

    def needed(self, presence: Iterable[Presence]) -> list[Presence]:
        """The entries of a batch that must reach the database."""
        return [item for item in presence if self._needs_write(item)]

    def committed(self, written: Sequence[Presence]) -> None:
        """`written` is in the database now (call only after the commit)."""
        if len(self._written) + len(written) > MAX_REMEMBERED:
            self._written.clear()
        for item in written:
            before = self._written.get(item.device_id)
            stored = item
            if before is not None:
                # None means "unchanged" in a Presence: the stored value is still what we wrote before.
                stored = Presence(
                    item.device_id,
                    max(filter(None, (item.last_seen, before.last_seen)), default=None),
                    before.is_online if item.is_online is None else item.is_online,
                    item.firmware_version or before.firmware_version,
                    item.last_ip or before.last_ip,
                )
            self._written[item.device_id] = stored

    def forget(self) -> None:
        """Someone else may have changed the rows (e.g. after a reconnect): write everything once again."""
        self._written.clear()

    def _needs_write(self, item: Presence) -> bool:
        before = self._written.get(item.device_id)
        if before is None:
            return True
        if item.is_online is not None and item.is_online != before.is_online:
            return True
        if item.firmware_version is not None and item.firmware_version != before.firmware_version:
            return True
        if item.last_ip is not None and item.last_ip != before.last_ip:
            return True
        if item.last_seen is None:
            return False
        return before.last_seen is None or item.last_seen - before.last_seen >= self._precision
