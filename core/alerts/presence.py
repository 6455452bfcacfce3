"""When a silent device counts as offline, and how often its owners may hear about it."""

from __future__ import annotations

from datetime import datetime, timedelta

MISSED_REPORTS = 3
# The SPEC's floor and the default of OFFLINE_MIN_SILENCE_SECONDS (core.settings.PresenceSettings): a
# deployment (or a test) may choose another floor, and every reader takes it as a parameter.
MIN_SILENCE = timedelta(seconds=90)
# Flap damping: a device on a bad Wi-Fi link must not page its owner every few minutes.
OFFLINE_NOTICE_INTERVAL = timedelta(minutes=30)


def offline_after(report_interval_s: float, min_silence: timedelta = MIN_SILENCE) -> timedelta:
    """How long a device may stay silent before it counts as offline: 3 report intervals, at least
    `min_silence` (90 s unless configured otherwise)."""
    return max(MISSED_REPORTS * timedelta(seconds=report_interval_s), min_silence)


def is_offline(
    last_seen: datetime | None, report_interval_s: float, now: datetime, min_silence: timedelta = MIN_SILENCE
) -> bool:
    """True when the device has been silent for `offline_after(report_interval_s, min_silence)` or longer.

    A device never heard from is not online; callers notify only on the online → offline edge.
    """
    if last_seen is None:
        return True
    return now - last_seen >= offline_after(report_interval_s, min_silence)


def should_notify_offline(last_notified_at: datetime | None, now: datetime) -> bool:
    """True unless an offline notice for this device went out less than 30 minutes ago."""
    return last_notified_at is None or now - last_notified_at >= OFFLINE_NOTICE_INTERVAL
