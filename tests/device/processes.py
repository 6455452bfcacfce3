"""Run the device programs the way an operator does (`python -m ...`), with their console in a file."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.broker import server_account

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    console: Path

    def output(self) -> str:
        return self.console.read_text(errors="replace")

    async def wait_output(self, needle: str, within: float = 15.0) -> str:
        deadline = time.monotonic() + within
        while needle not in self.output():
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not printed within {within} s:\n{self.output()[-2000:]}")
            await asyncio.sleep(0.1)
        return self.output()

    async def stop(self, signum: int = signal.SIGTERM, within: float = 10.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return await self.wait_exit(within)

    async def wait_exit(self, within: float = 10.0) -> int:
        deadline = time.monotonic() + within
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(f"did not exit within {within} s:\n{self.output()[-2000:]}")
            await asyncio.sleep(0.05)
        return int(self.process.returncode)


def start(module: str, args: list[str], workdir: Path) -> Running:
    console = workdir / f"{module.replace('.', '_')}-{time.monotonic_ns()}.log"
    with console.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT
        )
    return Running(process, console)


def agent_config(workdir: Path, broker_port: int, **settings: Any) -> Path:
    """A device.json as an installer would write it; `settings` override the defaults.

    A device registered by the factory (`pairing: false`) logs in with an account made for it; here that is
    the server's account. A device that pairs itself (`pairing: true`, no username) uses its own secret.
    """
    username, password = server_account()
    pairs = settings.get("pairing", False)
    config = {
        "uid": "agent-test",
        "mqtt_host": "127.0.0.1",
        "mqtt_port": broker_port,
        "mqtt_username": "" if pairs else username,
        "mqtt_password": "" if pairs else password,
        "buffer_path": str(workdir / "buffer.sqlite3"),
        "report_interval": 30,
        "pairing": False,
        "reconnect_max_delay": 1,
        **settings,
    }
    path = workdir / "device.json"
    path.write_text(json.dumps(config))
    return path
