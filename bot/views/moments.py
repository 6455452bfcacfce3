"""Moments and durations as a user reads them: in their own time zone, in whole minutes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.texts import Translator


def zone(timezone: str) -> ZoneInfo:
    """The user's zone; an unknown name falls back to UTC rather than failing a notice."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_moment(moment: datetime, timezone: str, now: datetime) -> str:
    """ "14:05" today (the user's today), "11.03 14:05" on another day."""
    local, today = moment.astimezone(zone(timezone)), now.astimezone(zone(timezone))
    if local.date() == today.date():
        return local.strftime("%H:%M")
    return local.strftime("%d.%m %H:%M")


def parse_moment(value: object) -> datetime | None:
    """An ISO timestamp from an outbox payload, None when absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def duration_text(t: Translator, seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return t("duration-seconds")
    if minutes < 60:
        return t("duration-minutes", minutes=minutes)
    return t("duration-hours", hours=minutes // 60, minutes=minutes % 60)
