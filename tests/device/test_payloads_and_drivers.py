"""Payload building (backlog chunks under the size limit) and the SCD4x wire decoding, without hardware."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from device import payloads
from device.agent.buffer import ReadingBuffer
from device.sensors.base import Reading
from device.sensors.scd4x import SensorError, crc8, decode_measurement


def _encoded(count: int) -> list[bytes]:
    reading = Reading(co2=812, temperature=23.4, humidity=41.2, pm25=3.1)
    return [
        payloads.encode(
            payloads.reading(reading, 1_733_612_400 + i, firmware_version="2.0.1", ip=None, uptime=i)
        )
        for i in range(count)
    ]


def test_a_long_backlog_is_split_into_json_arrays_under_64_kib() -> None:
    readings = _encoded(3000)
    chunks = list(payloads.backlog_chunks(readings))
    assert len(chunks) > 1
    decoded = [orjson.loads(payloads.join_array(chunk)) for chunk in chunks]
    assert all(len(payloads.join_array(chunk)) < 64 * 1024 for chunk in chunks)
    assert [item["timestamp"] for array in decoded for item in array] == [
        1_733_612_400 + i for i in range(3000)
    ]


def test_fast_telemetry_renders_the_same_reading_as_the_builder() -> None:
    reading = Reading(co2=640, temperature=21.5, humidity=38.0)
    fast = payloads.FastTelemetry(reading, firmware_version="2.0.1").render(1_733_612_400.25)
    assert orjson.loads(fast) == {
        "timestamp": 1_733_612_400.25,
        "co2": 640,
        "temperature": 21.5,
        "humidity": 38.0,
        "firmware_version": "2.0.1",
    }


def test_scd4x_measurement_decodes_the_datasheet_example() -> None:
    # Datasheet example words: CO2 0x01F4 = 500 ppm, T 0x6667 ≈ 25 °C, RH 0x5EB9 ≈ 37 %.
    raw = b"".join(word + bytes([crc8(word)]) for word in (b"\x01\xf4", b"\x66\x67", b"\x5e\xb9"))
    reading = decode_measurement(raw)
    assert reading.co2 == 500
    assert reading.temperature == pytest.approx(25.0, abs=0.01)
    assert reading.humidity == pytest.approx(37.0, abs=0.01)
    assert crc8(b"\xbe\xef") == 0x92  # the datasheet's CRC example


def test_scd4x_rejects_a_corrupted_word() -> None:
    raw = bytearray(b"".join(word + bytes([crc8(word)]) for word in (b"\x01\xf4", b"\x66\x67", b"\x5e\xb9")))
    raw[3] ^= 0x01
    with pytest.raises(SensorError):
        decode_measurement(bytes(raw))


def test_the_buffer_keeps_only_the_newest_readings_within_its_bound(tmp_path: Path) -> None:
    buffer = ReadingBuffer(tmp_path / "buffer.sqlite3", limit=10)
    for payload in _encoded(25):
        buffer.add(payload)
    kept = buffer.oldest(100)
    assert len(kept) == 10
    assert orjson.loads(kept[0][1])["timestamp"] == 1_733_612_400 + 15
    buffer.remove_through(kept[4][0])
    assert len(buffer) == 5
