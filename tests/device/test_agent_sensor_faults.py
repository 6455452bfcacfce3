"""A flaky sensor costs a reading, not the agent (run in-process, so the test can hand it a bad sensor)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from device.agent.buffer import ReadingBuffer
from device.agent.runner import Agent
from device.agent.settings import AgentSettings
from device.sensors.base import Reading, SensorError
from sandbox.broker import Broker
from tests.device.mqtt_probe import probe


class FlakySensor:
    """Fails every other read, like an I2C bus with a loose wire."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self) -> Reading:
        self.reads += 1
        if self.reads % 2:
            raise SensorError("CRC mismatch in word 0")
        return Reading(co2=900 + self.reads, temperature=22.0, humidity=40.0)

    def close(self) -> None:
        return None


async def test_failed_sensor_reads_are_skipped_and_reporting_goes_on(broker: Broker, tmp_path: Path) -> None:
    settings = AgentSettings(
        uid="agent-flaky",
        mqtt_port=broker.port,
        mqtt_username=broker.username,
        mqtt_password=broker.password,
        report_interval=0.5,
        pairing=False,
        buffer_path=tmp_path / "buffer.sqlite3",
    )
    sensor = FlakySensor()
    agent = Agent(settings, sensor, ReadingBuffer(settings.buffer_path, settings.buffer_limit))
    async with probe(broker, "devices/agent-flaky/telemetry") as watcher:
        running = asyncio.create_task(agent.run())
        try:
            await watcher.wait_for(lambda _: len(watcher.received) >= 3, within=15)
        finally:
            agent.stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(running, 10)
    readings = [item for m in watcher.received for item in (m.body if isinstance(m.body, list) else [m.body])]
    co2 = [reading["co2"] for reading in readings]
    assert all(value % 2 == 0 for value in co2)  # only the good (even-numbered) reads were published
    assert sensor.reads >= 6
