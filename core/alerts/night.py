"""Night mode: whether an instant falls within a device's quiet hours in a user's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def in_night(instant: datetime, start_hour: int | None, end_hour: int | None, tz_name: str) -> bool:
    """True when the local hour of `instant` in `tz_name` lies in [start_hour, end_hour).

    Hours wrap midnight (22 → 7 covers 22:00–06:59). No hours set, or start == end, means no night mode.
    """
    if start_hour is None or end_hour is None or start_hour == end_hour:
        return False
    hour = instant.astimezone(ZoneInfo(tz_name)).hour
    if start_hour < end_hour:
        return start_hour <= hour < end_hour
    return hour >= start_hour or hour < end_hour
