"""A sensor that reads the simulated room of device.air: the agent runs anywhere, tests need no hardware."""

from __future__ import annotations

import time

from device.air import Room
from device.sensors.base import Reading


class SimulatedSensor:
    def __init__(self, seed: str) -> None:
        self._room = Room.create(seed)

    def read(self) -> Reading:
        return self._room.sample(time.time())

    def close(self) -> None:
        return None
