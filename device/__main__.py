"""`python -m device [--config device.json]`: run the SmartAir agent on a Raspberry Pi-class device.

device/device.example.json lists every setting; each can also come from a `DEVICE_<NAME>` variable. The real
SCD4x driver needs `pip install 'smartair[sensors]'`; `"sensor": "simulated"` (the default) needs nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from device.agent.buffer import ReadingBuffer
from device.agent.runner import Agent
from device.agent.settings import AgentSettings, load_settings
from device.sensors import Sensor, open_sensor


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m device", description=__doc__)
    parser.add_argument("--config", type=Path, help="JSON settings file (DEVICE_* variables fill the rest)")
    return parser.parse_args()


async def serve(agent: Agent) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, agent.stop.set)
    await agent.run()


def _open_sensor(settings: AgentSettings) -> Sensor:
    try:
        return open_sensor(settings.sensor, seed=settings.uid, i2c_bus=settings.i2c_bus)
    except ImportError as error:
        reason = f"needs the optional extra: pip install 'smartair[sensors]' ({error})"
    except OSError as error:
        reason = f"cannot be opened: {error}"
    print(f"sensor {settings.sensor} {reason}", file=sys.stderr)  # noqa: T201 - the operator's console
    raise SystemExit(3)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings(parse_args().config)
    sensor = _open_sensor(settings)
    buffer = ReadingBuffer(settings.buffer_path, settings.buffer_limit)
    agent = Agent(settings, sensor, buffer)
    try:
        asyncio.run(serve(agent))
    finally:
        sensor.close()
        buffer.close()
    if agent.restart_requested:
        logging.getLogger(__name__).info("device=%s restarting", settings.uid)
        # A fresh process: new firmware on disk, settings and drivers all re-read, like a reboot.
        os.execv(sys.executable, [sys.executable, "-m", "device", *sys.argv[1:]])


if __name__ == "__main__":
    main()
