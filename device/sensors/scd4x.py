"""Sensirion SCD40/SCD41 CO2 sensor over I2C (smbus2, from the optional `sensors` extra).

The sensor runs in periodic mode (a measurement every 5 s); `read()` waits for the next one. Every 16-bit
word on the wire carries a CRC-8 that is checked, because a flaky I2C bus otherwise yields plausible garbage.
"""

from __future__ import annotations

import time
from typing import Any

from device.sensors.base import Reading, SensorError

ADDRESS = 0x62
START_PERIODIC = 0x21B1
STOP_PERIODIC = 0x3F86
READ_MEASUREMENT = 0xEC05
DATA_READY = 0xE4B8
COMMAND_DELAY = 0.001  # the datasheet's execution time before a read
STOP_DELAY = 0.5
READY_TIMEOUT = 7.0  # one measurement period (5 s) plus slack


def crc8(data: bytes) -> int:
    """Sensirion's CRC-8: polynomial 0x31, initial value 0xFF."""
    crc = 0xFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x31) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def decode_words(raw: bytes) -> list[int]:
    """16-bit words out of (msb, lsb, crc) triplets; SensorError on a checksum mismatch."""
    words = []
    for start in range(0, len(raw), 3):
        pair, crc = raw[start : start + 2], raw[start + 2]
        if crc8(pair) != crc:
            raise SensorError(f"CRC mismatch in word {start // 3}")
        words.append(int.from_bytes(pair, "big"))
    return words


def decode_measurement(raw: bytes) -> Reading:
    """The 9 bytes of read_measurement as a Reading (conversions from the SCD4x datasheet)."""
    co2, raw_temperature, raw_humidity = decode_words(raw)
    return Reading(
        co2=float(co2),
        temperature=round(-45.0 + 175.0 * raw_temperature / 65535.0, 2),
        humidity=round(100.0 * raw_humidity / 65535.0, 2),
    )


class Scd4x:
    def __init__(self, bus_number: int = 1) -> None:
        from smbus2 import SMBus, i2c_msg  # noqa: PLC0415 - optional dependency, imported only on real hardware

        self._msg: Any = i2c_msg
        self._bus: Any = SMBus(bus_number)
        self._command(START_PERIODIC)

    def read(self) -> Reading:
        deadline = time.monotonic() + READY_TIMEOUT
        while not self._data_ready():
            if time.monotonic() > deadline:
                raise SensorError("no measurement within one period")
            time.sleep(0.1)
        return decode_measurement(self._read(READ_MEASUREMENT, words=3))

    def close(self) -> None:
        self._command(STOP_PERIODIC)
        time.sleep(STOP_DELAY)
        self._bus.close()

    def _data_ready(self) -> bool:
        (status,) = decode_words(self._read(DATA_READY, words=1))
        return status & 0x07FF != 0

    def _command(self, command: int) -> None:
        self._bus.i2c_rdwr(self._msg.write(ADDRESS, list(command.to_bytes(2, "big"))))

    def _read(self, command: int, words: int) -> bytes:
        self._command(command)
        time.sleep(COMMAND_DELAY)
        message = self._msg.read(ADDRESS, words * 3)
        self._bus.i2c_rdwr(message)
        return bytes(list(message))
