"""The simulator's meters and computers (SPEC 3a): what they send is valid for their catalogue type."""

from __future__ import annotations

from core import catalogue, payloads
from device.fleet import build_fleet

START = 1_733_612_400.0


def test_a_mixed_fleet_sends_valid_readings_of_each_type_and_a_meter_register_only_grows():
    fleet = build_fleet(6, seed=7, types=("air", "meter", "host"))
    assert [device.device_type for device in fleet][1:3] == ["meter", "host"]
    assert fleet[0].device_type in {"co2", "multi"}
    registers: dict[str, list[float | None]] = {}
    for minute in range(0, 24 * 60, 10):  # a day, every 10 minutes
        now = START + minute * 60
        for device in fleet:
            spec = catalogue.device_type(device.device_type)
            parsed = payloads.parse_telemetry(
                device.telemetry(now), device.uid, now, payloads.type_ranges(spec.code)
            )
            assert parsed.rejected == []
            (reading,) = parsed.readings
            assert set(reading.metrics()) <= set(spec.metrics)
            if device.device_type == "meter":
                registers.setdefault(device.uid, []).append(reading.value("energy_kwh"))
    assert len(registers) == 2
    for values in registers.values():
        assert values == sorted(values) and values[-1] > values[0]  # type: ignore[operator]


def test_a_backfilled_meter_replays_its_own_past():
    (meter,) = build_fleet(1, seed=3, types=("meter",))
    history = meter.history(2, START)
    assert history and b"energy_kwh" in history[0] and b"power_w" in history[0]
