"""The devices row is rewritten when something changed, and for last_seen only every few seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.telemetry_store import Presence
from processor.presence.filter import LAST_SEEN_PRECISION, PresenceFilter

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _seen(device_id: int, at: datetime, online: bool | None = True, firmware: str | None = None) -> Presence:
    return Presence(device_id, at.timestamp(), online, firmware, None)


def test_last_seen_is_written_at_most_one_precision_late_and_changes_at_once():
    presence = PresenceFilter()
    first = [_seen(1, T0)]
    assert presence.needed(first) == first  # never written by us: written
    presence.committed(first)

    soon = [_seen(1, T0 + LAST_SEEN_PRECISION / 2)]
    assert presence.needed(soon) == []  # nothing but a slightly newer last_seen
    later = [_seen(1, T0 + LAST_SEEN_PRECISION)]
    assert presence.needed(later) == later  # measured from the last write, not the last skip
    presence.committed(later)

    changed = [
        _seen(1, T0 + LAST_SEEN_PRECISION + timedelta(seconds=1), online=False),
        _seen(2, T0),
    ]
    assert presence.needed(changed) == changed
    presence.committed(changed)
    new_firmware = [_seen(1, T0 + LAST_SEEN_PRECISION + timedelta(seconds=2), online=None, firmware="2.0")]
    assert presence.needed(new_firmware) == new_firmware


def test_an_uncommitted_write_is_not_remembered():
    presence = PresenceFilter()
    batch = [_seen(1, T0)]
    assert presence.needed(batch) == batch
    # the write failed: committed() is never called, so the retry writes it again
    assert presence.needed(batch) == batch
