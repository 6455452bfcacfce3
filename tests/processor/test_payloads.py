"""core.payloads decides what is valid, without a broker or a database."""

from __future__ import annotations

import pytest

from core import payloads
from core.payloads import Rejected

NOW = 1_733_612_400.0


def _reason(payload: bytes) -> str:
    with pytest.raises(Rejected) as caught:
        payloads.parse_telemetry(payload, "dev-1", NOW)
    return caught.value.reason


def test_full_reading_keeps_every_field():
    raw = (
        b'{"timestamp": 1733612400, "co2": 920, "temperature": 25.1, "humidity": 29, "pm25": 4.2, "voc": 110,'
        b' "firmware_version": "2.0.1", "ip": "192.168.1.50", "uptime": 3600, "device_uid": "dev-1"}'
    )
    (reading,) = payloads.parse_telemetry(raw, "dev-1", NOW).readings
    metrics = {"co2": 920.0, "temperature": 25.1, "humidity": 29.0, "pm25": 4.2, "voc": 110.0}
    assert reading == payloads.reading(NOW, metrics, "2.0.1", "192.168.1.50")


def test_null_metric_counts_as_absent_and_bounds_are_inclusive():
    parsed = payloads.parse_telemetry(b'{"co2": null, "humidity": 100, "temperature": -40}', "dev-1", NOW)
    assert parsed.readings[0].metrics() == {"temperature": -40.0, "humidity": 100.0}
    assert parsed.readings[0].ts == NOW


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"timestamp": true, "co2": 1}', "wrong_type"),
        (b'{"timestamp": 1, "co2": 1}', "too_old"),
        (b'{"co2": 1, "firmware_version": 2}', "wrong_type"),
        (b'{"co2": 1, "uptime": "long"}', "wrong_type"),
        (b'{"co2": 1e400}', "non_finite"),
        (b'{"co2": 5, "voc": -Infinity}', "non_finite"),
        (b'{"co2": null}', "no_metrics"),
    ],
)
def test_single_bad_reading_reasons(raw: bytes, reason: str):
    parsed = payloads.parse_telemetry(raw, "dev-1", NOW)
    assert (parsed.readings, parsed.rejected) == ([], [reason])


def test_whole_payload_reasons():
    assert _reason(b"x" * (64 * 1024 + 1)) == "oversize"
    assert _reason(b'{"co2": 1, "x": "\\ud800", "voc": NaN') == "malformed_json"
    assert payloads.parse_telemetry(b"42", "dev-1", NOW).rejected == ["not_an_object"]


def test_status_last_will_and_event():
    assert payloads.parse_status(b'{"status": "offline"}', "d-1") == payloads.Status(False, None, None)
    with pytest.raises(Rejected, match="uid_mismatch"):
        payloads.parse_status(b'{"status": "online", "device_uid": "other"}', "d-1")
    event = payloads.parse_event(b'{"type": "config_applied", "version": 7}', "d-1")
    assert (event.type, event.body["version"]) == ("config_applied", 7)
