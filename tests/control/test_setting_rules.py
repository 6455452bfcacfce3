"""What users type into /settings and what the device receives, as plain functions."""

from __future__ import annotations

import pytest

from core.services.desired_config import config_payload
from core.services.settings import SettingRefused, check_timezone, parse_hours, parse_number


@pytest.mark.parametrize(("typed", "value"), [("60", 60.0), (" 27,5 ", 27.5), ("27.5", 27.5), ("-5", -5.0)])
def test_numbers_are_read_as_people_type_them(typed: str, value: float) -> None:
    assert parse_number(typed) == value


@pytest.mark.parametrize("typed", ["ten", "", "1e3", "5 s", "nan", "1.2.3"])
def test_anything_else_is_not_a_number(typed: str) -> None:
    with pytest.raises(SettingRefused) as refused:
        parse_number(typed)
    assert refused.value.reason == "not-a-number"


@pytest.mark.parametrize(("typed", "hours"), [("22-7", (22, 7)), ("23 6", (23, 6)), ("22:00–07:00", (22, 7))])
def test_night_hours_are_read_in_common_forms(typed: str, hours: tuple[int, int]) -> None:
    assert parse_hours(typed) == hours


def test_time_zones_are_checked_against_the_iana_database() -> None:
    assert check_timezone("asia/almaty") == "Asia/Almaty"
    assert check_timezone("America/New York") == "America/New_York"
    with pytest.raises(SettingRefused):
        check_timezone("Mars/Olympus_Mons")


def test_the_config_payload_is_the_spec_document() -> None:
    payload = config_payload(
        version=7, report_interval=30, alerts_enabled=True, co2_threshold=1000, night_start=22, night_end=7
    )
    assert payload == {
        "version": 7,
        "report_interval": 30,
        "alerts_enabled": True,
        "co2_threshold": 1000,
        "night_mode": {"start": 22, "end": 7},
    }
    off = config_payload(
        version=8,
        report_interval=30,
        alerts_enabled=False,
        co2_threshold=1000,
        night_start=None,
        night_end=None,
    )
    assert off["night_mode"] is None
