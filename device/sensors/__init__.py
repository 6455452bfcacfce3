"""Sensor drivers: one small interface, a simulated sensor and real hardware drivers loaded on demand."""

from device.sensors.base import Reading, Sensor, SensorError
from device.sensors.choice import open_sensor

__all__ = ["Reading", "Sensor", "SensorError", "open_sensor"]
