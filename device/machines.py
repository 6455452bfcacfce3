"""The simulator's other device types (SPEC 3a): an electricity meter and a computer watched by Telegraf.

Like device.air's rooms, each is driven by one seeded `random.Random` and advanced to the clock it is asked
about, so a seed replays a fleet (and a backfill replays the past of the same device).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from device.clock import step_to


@dataclass(frozen=True, slots=True)
class Sampled:
    """What a device measured: catalogue metric names and values."""

    values: dict[str, float]

    def metrics(self) -> dict[str, float]:
        return dict(self.values)


@dataclass
class Meter:
    """A flat's meter: base load, evening cooking and heating, kettle spikes; the register only grows."""

    rng: random.Random
    register_kwh: float
    base_w: float
    utc_offset_hours: int = 3
    clock: float | None = None
    power_w: float = 0.0
    device_type: str = field(default="meter", init=False)

    @classmethod
    def create(cls, seed: str | int) -> Meter:
        rng = random.Random(str(seed))
        return cls(
            rng=rng, register_kwh=round(rng.uniform(1000.0, 20000.0), 3), base_w=rng.uniform(150.0, 400.0)
        )

    def sample(self, now: float) -> Sampled:
        self.clock = step_to(self.clock, now, self._advance)
        voltage = 230.0 + self.rng.gauss(0, 2.0)
        return Sampled(
            {
                "energy_kwh": round(self.register_kwh, 3),
                "power_w": round(self.power_w),
                "voltage_v": round(voltage, 1),
                "current_a": round(self.power_w / voltage, 2),
            }
        )

    def _advance(self, at: float, dt: float) -> None:
        self.power_w = self._power(at)
        self.register_kwh += self.power_w * dt / 3_600_000.0

    def _power(self, at: float) -> float:
        hour = (at / 3600.0 + self.utc_offset_hours) % 24
        evening = 1500.0 if 18 <= hour < 23 else 0.0
        kettle = 2000.0 if self.rng.random() < 0.01 else 0.0
        return max(0.0, self.base_w + evening + kettle + self.rng.gauss(0, 40.0))


@dataclass
class Host:
    """A robot's computer: CPU in bursts, memory drifting, a disk filling, temperature following CPU."""

    rng: random.Random
    cpus: int
    disk_percent: float
    mem_percent: float
    clock: float | None = None
    cpu_percent: float = 10.0
    device_type: str = field(default="host", init=False)

    @classmethod
    def create(cls, seed: str | int) -> Host:
        rng = random.Random(str(seed))
        return cls(
            rng=rng,
            cpus=rng.choice((2, 4, 8)),
            disk_percent=rng.uniform(30.0, 80.0),
            mem_percent=rng.uniform(30.0, 60.0),
        )

    def sample(self, now: float) -> Sampled:
        self.clock = step_to(self.clock, now, self._advance)
        gauss = self.rng.gauss
        return Sampled(
            {
                "cpu_percent": round(self.cpu_percent, 1),
                "mem_percent": round(self.mem_percent, 1),
                "disk_percent": round(self.disk_percent, 2),
                "load1": round(max(0.0, self.cpu_percent / 100.0 * self.cpus + gauss(0, 0.1)), 2),
                "temperature": round(40.0 + 0.4 * self.cpu_percent + gauss(0, 0.5), 1),
            }
        )

    def _advance(self, at: float, dt: float) -> None:
        busy = math.sin(at / 900.0) > 0.7  # a job every quarter hour or so
        target = 85.0 if busy else 12.0
        self.cpu_percent += (target - self.cpu_percent) * (1.0 - math.exp(-dt / 60.0))
        self.cpu_percent = min(100.0, max(0.0, self.cpu_percent + self.rng.gauss(0, 2.0)))
        self.mem_percent = min(95.0, max(10.0, self.mem_percent + self.rng.gauss(0, 0.2)))
        self.disk_percent = min(99.0, self.disk_percent + dt * 1e-5)  # logs pile up
