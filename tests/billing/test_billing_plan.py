"""The plan's maths: proration by days owned, free devices, transfers, month boundaries in a time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.billing.months import Month
from core.billing.plan import Ownership, Plan, days_owned, draft_invoice, prorate

MOSCOW = ZoneInfo("Europe/Moscow")
NOVEMBER = Month(2026, 11)
PLAN = Plan(price=19900, free_devices=1)


def moscow(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=MOSCOW)


def test_month_parses_the_documented_form_and_refuses_others() -> None:
    assert Month.parse("2026-11") == NOVEMBER
    assert str(Month.parse(" 2026-02 ")) == "2026-02"
    for bad in ("2026-13", "2026-1", "11-2026", "2026-11\n2026-12", ""):
        with pytest.raises(ValueError, match="like 2026-11"):
            Month.parse(bad)


def test_months_step_over_the_year() -> None:
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2027, 1).previous() == Month(2026, 12)
    assert Month(2028, 2).days == 29


def test_a_device_owned_all_month_costs_the_full_price() -> None:
    whole = Ownership(1, datetime(2026, 10, 3, tzinfo=UTC), None)
    assert days_owned(whole, NOVEMBER, MOSCOW) == 30
    assert prorate(19900, 30, 30) == 19900


def test_a_device_paired_mid_month_pays_its_days_rounded_to_kopecks() -> None:
    # Paired during 21 November: 21..30 = 10 days → 19900 × 10 / 30 = 6633.33 → 6633 kopecks.
    late = Ownership(1, moscow(21, 9), None)
    assert days_owned(late, NOVEMBER, MOSCOW) == 10
    assert prorate(19900, 10, 30) == 6633
    # Half a kopeck rounds up: 100 × 1 / 8 = 12.5 → 13.
    assert prorate(100, 1, 8) == 13


def test_a_device_removed_before_the_month_is_not_charged() -> None:
    gone = Ownership(1, datetime(2026, 9, 1, tzinfo=UTC), moscow(31, 18, month=10))
    assert days_owned(gone, NOVEMBER, MOSCOW) == 0
    draft = draft_invoice([gone], NOVEMBER, MOSCOW, Plan(19900, 0))
    assert draft.lines == ()
    assert draft.total == 0


def test_a_transfer_charges_each_owner_for_their_days_and_the_day_once() -> None:
    moment = moscow(11, 15)
    seller = Ownership(7, datetime(2026, 1, 1, tzinfo=UTC), moment)
    buyer = Ownership(7, moment, None)
    assert days_owned(seller, NOVEMBER, MOSCOW) == 10  # 1..10; the 11th ends with the buyer
    assert days_owned(buyer, NOVEMBER, MOSCOW) == 20
    free = Plan(19900, 0)
    seller_total = draft_invoice([seller], NOVEMBER, MOSCOW, free).total
    buyer_total = draft_invoice([buyer], NOVEMBER, MOSCOW, free).total
    assert (seller_total, buyer_total) == (6633, 13267)


def test_the_dearest_devices_are_the_free_ones() -> None:
    all_month = Ownership(1, datetime(2026, 10, 1, tzinfo=UTC), None)
    half = Ownership(2, moscow(16, 8), None)
    third = Ownership(3, datetime(2026, 10, 1, tzinfo=UTC), None)
    draft = draft_invoice([half, all_month, third], NOVEMBER, MOSCOW, PLAN)
    assert [(line.device_id, line.days, line.free) for line in draft.lines] == [
        (1, 30, True),
        (3, 30, False),
        (2, 15, False),
    ]
    assert draft.total == 19900 + 9950
    assert draft.devices == 3


def test_removed_and_paired_again_adds_the_days_up() -> None:
    first = Ownership(4, datetime(2026, 10, 1, tzinfo=UTC), moscow(5, 10))
    again = Ownership(4, moscow(20, 10), None)
    draft = draft_invoice([first, again], NOVEMBER, MOSCOW, Plan(3000, 0))
    assert [(line.device_id, line.days) for line in draft.lines] == [(4, 4 + 11)]
    assert draft.total == 1500


def test_the_month_boundary_follows_the_users_time_zone_not_utc() -> None:
    # 21:30 UTC on 30 November is 00:30 on 1 December in Moscow: the device is December's there, November's
    # in UTC.
    paired = Ownership(9, datetime(2026, 11, 30, 21, 30, tzinfo=UTC), None)
    assert days_owned(paired, NOVEMBER, MOSCOW) == 0
    assert days_owned(paired, NOVEMBER, ZoneInfo("UTC")) == 1
    assert days_owned(paired, Month(2026, 12), MOSCOW) == 31
    assert NOVEMBER.end(MOSCOW) == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)


def test_a_month_with_a_daylight_saving_change_still_has_its_days() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    whole = Ownership(1, datetime(2026, 1, 1, tzinfo=UTC), None)
    assert days_owned(whole, Month(2026, 10), berlin) == 31
    assert days_owned(whole, Month(2026, 3), berlin) == 31
