"""A private Mosquitto, run the way production runs it: `python -m processor.broker` on a free port.

It uses the shipped mosquitto/mosquitto.conf, so authentication and dynamic security are on. The server's
account is MQTT_USERNAME/MQTT_PASSWORD of this process's environment (set here if absent, a fresh password
per run): processors, bots and simulators the tests start inherit it, and test clients that play the
server's part (or publish on behalf of devices paired straight in the database) log in with it.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.ports import free_port

ROOT = Path(__file__).resolve().parents[1]


def server_account() -> tuple[str, str]:
    """(username, password) of the server's broker account, the same for every broker of this run."""
    username = os.environ.setdefault("MQTT_USERNAME", "smartair-server")
    password = os.environ.setdefault("MQTT_PASSWORD", secrets.token_urlsafe(18))
    return username, password


@dataclass
class Broker:
    """One Mosquitto process; stop()/start() keep its port and its persistence folder."""

    workdir: Path
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = None
    username: str = field(default_factory=lambda: server_account()[0])
    password: str = field(default_factory=lambda: server_account()[1])

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = (self.workdir / "mosquitto.log").open("ab")
        command = [sys.executable, "-m", "processor.broker", "--port", str(self.port), "--bind", self.host]
        env = {**os.environ, "MQTT_USERNAME": self.username, "MQTT_PASSWORD": self.password}
        self.process = subprocess.Popen(
            [*command, "--data", str(self.workdir / "data")], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        self._wait_listening()

    @property
    def credentials(self) -> dict[str, str]:
        """Keyword arguments for aiomqtt.Client: log in as the server's account."""
        return {"username": self.username, "password": self.password}

    def log_text(self) -> str:
        """What Mosquitto has logged so far (connections, expired sessions…)."""
        return (self.workdir / "mosquitto.log").read_text(errors="replace")

    def stop(self) -> None:
        """Graceful stop: Mosquitto saves its sessions and queued messages to disk."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def _wait_listening(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: see {self.workdir / 'mosquitto.log'}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port}")
