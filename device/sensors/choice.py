"""How the agent picks its sensor driver by name."""

from __future__ import annotations

from device.sensors.base import Sensor

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
