"""A room's air, simulated: occupancy by time of day drives CO2, temperature and humidity (and PM2.5).

The physics is a one-box model. People add CO2 (about 40 ppm/min per person in a 30 m³ bedroom; scaled
by volume), ventilation pulls it back exponentially towards the outdoor ~420 ppm. Temperature and humidity
follow the day cycle and the people in the room with a lag. Everything random comes from one `random.Random`
per room, so a seed reproduces a fleet exactly for the same sequence of clock readings.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from device.clock import step_to
from device.sensors.base import Reading

OUTDOOR_CO2 = 420.0
PPM_PER_PERSON_MINUTE_30M3 = 40.0


@dataclass(frozen=True, slots=True)
class Profile:
    """When a kind of room is used, by whom, and how well it is aired."""

    name: str
    occupied_hours: tuple[tuple[int, int], ...]  # [start, end) local hours
    people: tuple[int, int]  # min, max when occupied
    volume_m3: tuple[float, float]
    air_changes_per_hour: tuple[float, float]


BEDROOM = Profile("bedroom", ((22, 24), (0, 7)), (1, 2), (25.0, 40.0), (0.8, 2.0))
OFFICE = Profile("office", ((9, 13), (14, 18)), (2, 6), (40.0, 90.0), (2.0, 4.0))
LIVING = Profile("living", ((7, 9), (18, 23)), (1, 4), (40.0, 70.0), (1.0, 3.0))
PROFILES = (BEDROOM, OFFICE, LIVING)


@dataclass
class Room:
    """One simulated room; `sample(now)` advances it to unix time `now` and returns what a sensor sees."""

    rng: random.Random
    profile: Profile
    utc_offset_hours: int
    has_pm25: bool
    volume: float = 0.0
    ach: float = 0.0
    co2: float = OUTDOOR_CO2
    temperature: float = 21.0
    humidity: float = 40.0
    pm25: float = 5.0
    clock: float | None = None
    _people: int = field(default=0, repr=False)

    @classmethod
    def create(cls, seed: str | int) -> Room:
        rng = random.Random(str(seed))
        profile = rng.choice(PROFILES)
        room = cls(
            rng=rng, profile=profile, utc_offset_hours=rng.choice((0, 1, 3)), has_pm25=rng.random() < 0.3
        )
        room.volume = rng.uniform(*profile.volume_m3)
        room.ach = rng.uniform(*profile.air_changes_per_hour)
        room.co2 = OUTDOOR_CO2 + rng.uniform(0, 300)
        room.temperature = rng.uniform(20.0, 23.0)
        room.humidity = rng.uniform(30.0, 50.0)
        return room

    @property
    def device_type(self) -> str:
        return "multi" if self.has_pm25 else "co2"

    def sample(self, now: float) -> Reading:
        self.clock = step_to(self.clock, now, self._advance)
        return self._observe()

    def _advance(self, at: float, dt: float) -> None:
        hour = self._local_hour(at)
        self._people = self._occupancy(hour)
        self._advance_co2(dt)
        self._advance_climate(hour, dt)
        if self.has_pm25:
            self._advance_pm25(hour, dt)

    def _local_hour(self, at: float) -> float:
        return ((at / 3600.0) + self.utc_offset_hours) % 24.0

    def _occupancy(self, hour: float) -> int:
        occupied = any(start <= hour < end for start, end in self.profile.occupied_hours)
        if not occupied:
            return 0
        # People come and go: the count changes now and then rather than every step.
        if self._people == 0 or self.rng.random() < 0.02:
            return self.rng.randint(*self.profile.people)
        return self._people

    def _advance_co2(self, dt: float) -> None:
        generation = self._people * PPM_PER_PERSON_MINUTE_30M3 * (30.0 / self.volume) / 60.0  # ppm/s
        decay = self.ach / 3600.0  # 1/s
        equilibrium = OUTDOOR_CO2 + generation / decay
        # Exact solution of dC/dt = g - k (C - outdoor) over dt, so long steps stay stable.
        self.co2 = equilibrium + (self.co2 - equilibrium) * math.exp(-decay * dt)

    def _advance_climate(self, hour: float, dt: float) -> None:
        day_swing = 1.5 * math.sin((hour - 10.0) / 24.0 * 2 * math.pi)  # warmest mid-afternoon
        target_temperature = 21.0 + day_swing + 0.3 * self._people
        target_humidity = 42.0 - 2.0 * day_swing + 3.0 * self._people
        lag = 1.0 - math.exp(-dt / 1800.0)  # rooms warm and dry with a half-hour time constant
        self.temperature += (target_temperature - self.temperature) * lag
        self.humidity += (target_humidity - self.humidity) * lag

    def _advance_pm25(self, hour: float, dt: float) -> None:
        cooking = 18.5 <= hour < 19.5 and self.rng.random() < dt / 600.0
        if cooking:
            self.pm25 += self.rng.uniform(20.0, 60.0)
        self.pm25 = 5.0 + (self.pm25 - 5.0) * math.exp(-dt / 1200.0)

    def _observe(self) -> Reading:
        gauss = self.rng.gauss
        return Reading(
            co2=round(max(OUTDOOR_CO2 - 30, self.co2 + gauss(0, 8))),
            temperature=round(self.temperature + gauss(0, 0.05), 1),
            humidity=round(min(100.0, max(0.0, self.humidity + gauss(0, 0.3))), 1),
            pm25=round(max(0.0, self.pm25 + gauss(0, 0.5)), 1) if self.has_pm25 else None,
        )
