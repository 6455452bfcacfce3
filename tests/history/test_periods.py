"""The periods users pick: months begin at local midnight, whatever the offset or the clock change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from core.services.periods import Span, Window, month_window, recent_months, window


def test_month_spans_start_at_local_midnight() -> None:
    moment = datetime(2026, 3, 1, 0, 30, tzinfo=ZoneInfo("Europe/Moscow")).astimezone(UTC)
    this_month = window(Span.THIS_MONTH, moment, "Europe/Moscow")
    assert this_month == Window(datetime(2026, 2, 28, 21, 0, tzinfo=UTC), moment)
    last_month = window(Span.LAST_MONTH, moment, "Europe/Moscow")
    assert last_month == Window(
        datetime(2026, 1, 31, 21, 0, tzinfo=UTC), datetime(2026, 2, 28, 21, 0, tzinfo=UTC)
    )
    # In UTC it is still February: "this month" is February there.
    assert window(Span.THIS_MONTH, moment, "UTC").start == datetime(2026, 2, 1, tzinfo=UTC)


def test_a_month_with_a_clock_change_is_a_day_shorter_or_longer_in_utc() -> None:
    march = month_window(2026, 3, "Europe/Berlin")
    assert march.start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert march.end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # summer time from 29 March
    assert march.end - march.start == timedelta(days=31, hours=-1)


def test_report_months_are_the_current_and_previous_ones_newest_first() -> None:
    moment = datetime(2026, 2, 10, tzinfo=UTC)
    assert recent_months(moment, "Europe/Moscow", 4) == [(2026, 2), (2026, 1), (2025, 12), (2025, 11)]
