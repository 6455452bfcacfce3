"""What every sensor driver offers (`read() -> Reading`) and how the agent picks one by name."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol


class SensorError(Exception):
    """A measurement could not be taken (no answer, bad checksum); the next attempt may succeed."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One measurement; a metric the sensor does not have stays None."""

    co2: float | None = None
    temperature: float | None = None
    humidity: float | None = None
    pm25: float | None = None
    voc: float | None = None

    def metrics(self) -> dict[str, float]:
        return {name: value for name, value in asdict(self).items() if value is not None}


class Sensor(Protocol):
    def read(self) -> Reading:
        """Block until a fresh measurement is available (hardware sensors take seconds) and return it."""
        ...

    def close(self) -> None: ...


SENSOR_NAMES = ("simulated", "scd4x")


def open_sensor(name: str, *, seed: str, i2c_bus: int = 1) -> Sensor:
    """The driver called `name`. Hardware drivers import their library only here, so the agent runs without
    the optional `sensors` extra unless it is asked for real hardware."""
    if name == "simulated":
        from device.sensors.simulated import SimulatedSensor  # noqa: PLC0415 - see docstring

        return SimulatedSensor(seed)
    if name == "scd4x":
        from device.sensors.scd4x import Scd4x  # noqa: PLC0415 - needs the optional extra

        return Scd4x(i2c_bus)
    raise ValueError(f"unknown sensor {name!r}; known: {', '.join(SENSOR_NAMES)}")
