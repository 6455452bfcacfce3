"""What every sensor driver offers: `read() -> Reading`."""

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
