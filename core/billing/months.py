"""Calendar months as the invoice sees them: a month in one time zone, its days and their boundaries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, slots=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """`2026-11` → Month(2026, 11); ValueError naming the expected form otherwise."""
        match = _MONTH.fullmatch(text.strip())
        if match is None or not 1 <= int(match[2]) <= 12:
            raise ValueError(f"{text!r} is not a month like 2026-11")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def days(self) -> int:
        return (self.next().first_day - self.first_day).days

    def day_ends(self, zone: ZoneInfo) -> list[datetime]:
        """The local midnight that closes each day of the month, in order (aware datetimes in `zone`)."""
        first = self.first_day
        return [_midnight(first + timedelta(days=day + 1), zone) for day in range(self.days)]

    def start(self, zone: ZoneInfo) -> datetime:
        return _midnight(self.first_day, zone)

    def end(self, zone: ZoneInfo) -> datetime:
        """The local midnight after the last day: the month is over once this moment has passed."""
        return _midnight(self.next().first_day, zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)
