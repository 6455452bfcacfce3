"""The periods a user can ask history, export and reports for, as aware UTC instants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Span(StrEnum):
    """A period ending now (6h … 30d) or a calendar month in the user's time zone."""

    H6 = "6h"
    H24 = "24h"
    D7 = "7d"
    D30 = "30d"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"


_RECENT = {
    Span.H6: timedelta(hours=6),
    Span.H24: timedelta(hours=24),
    Span.D7: timedelta(days=7),
    Span.D30: timedelta(days=30),
}


@dataclass(frozen=True, slots=True)
class Window:
    """[start, end) in UTC."""

    start: datetime
    end: datetime


def window(span: Span, now: datetime, tz_name: str) -> Window:
    """The UTC window of `span` as seen at `now` by a user in `tz_name`; months start at local midnight."""
    if span in _RECENT:
        return Window(now - _RECENT[span], now)
    zone = ZoneInfo(tz_name)
    local = now.astimezone(zone)
    this_month = (local.year, local.month)
    if span is Span.THIS_MONTH:
        return Window(month_start(*this_month, zone), now)
    last = previous_month(*this_month)
    return Window(month_start(*last, zone), month_start(*this_month, zone))


def month_window(year: int, month: int, tz_name: str) -> Window:
    """A whole calendar month in the user's time zone, as UTC instants."""
    zone = ZoneInfo(tz_name)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return Window(month_start(year, month, zone), month_start(*following, zone))


def month_start(year: int, month: int, zone: ZoneInfo) -> datetime:
    return datetime(year, month, 1, tzinfo=zone).astimezone(UTC)


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def recent_months(now: datetime, tz_name: str, count: int) -> list[tuple[int, int]]:
    """(year, month) of the current local month and the `count - 1` before it, newest first."""
    local = now.astimezone(ZoneInfo(tz_name))
    months = [(local.year, local.month)]
    while len(months) < count:
        months.append(previous_month(*months[-1]))
    return months
