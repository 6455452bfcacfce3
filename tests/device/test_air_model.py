"""The simulated room behaves like a room: people raise CO2, airing brings it back to outdoor levels."""

from __future__ import annotations

from datetime import UTC, datetime

from device.air import BEDROOM, OUTDOOR_CO2, Room


def _midnight_utc() -> float:
    return datetime(2026, 11, 23, tzinfo=UTC).timestamp()


def _bedroom(seed: str) -> Room:
    room = Room.create(seed)
    room.profile, room.utc_offset_hours, room.volume, room.ach = BEDROOM, 0, 30.0, 1.0
    room.co2 = OUTDOOR_CO2
    return room


def test_same_seed_gives_the_same_readings() -> None:
    start = _midnight_utc()
    first, second = Room.create("42:sim-0001"), Room.create("42:sim-0001")
    assert [first.sample(start + 60 * i) for i in range(30)] == [
        second.sample(start + 60 * i) for i in range(30)
    ]
    assert Room.create("43:sim-0001").sample(start) != Room.create("42:sim-0001").sample(start)


def test_an_occupied_bedroom_gains_co2_quickly_at_night() -> None:
    room = _bedroom("night")
    start = _midnight_utc() + 3600  # 01:00, the room is occupied
    room.sample(start)
    after_ten_minutes = room.sample(start + 600).co2
    # One or two people at ~40 ppm/min each, minus a little ventilation.
    assert after_ten_minutes is not None and 600 <= after_ten_minutes <= 1300
    assert room.sample(start + 5 * 3600).co2 > 1500  # type: ignore[operator]


def test_an_empty_room_airs_out_towards_outdoor_co2() -> None:
    room = _bedroom("day")
    noon = _midnight_utc() + 12 * 3600  # nobody in a bedroom at noon
    room.co2 = 2500.0
    room.sample(noon)
    assert abs(room.sample(noon + 6 * 3600).co2 - OUTDOOR_CO2) < 40  # type: ignore[operator]


def test_a_simulated_day_stays_within_plausible_ranges() -> None:
    start = _midnight_utc()
    for seed in range(20):
        room = Room.create(seed)
        for minute in range(0, 24 * 60, 10):
            reading = room.sample(start + minute * 60)
            assert 380 <= reading.co2 <= 6000  # type: ignore[operator]
            assert 15 <= reading.temperature <= 30  # type: ignore[operator]
            assert 10 <= reading.humidity <= 90  # type: ignore[operator]
            assert reading.pm25 is None or 0 <= reading.pm25 <= 300
