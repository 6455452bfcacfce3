"""A private Mosquitto started from the product's own mosquitto/mosquitto.conf on a free port."""

from __future__ import annotations

import getpass
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.ports import free_port

PRODUCT_CONFIG = Path(__file__).resolve().parents[2] / "mosquitto" / "mosquitto.conf"


def _config_for(port: int, data_dir: Path) -> str:
    text = PRODUCT_CONFIG.read_text()
    text = re.sub(r"^listener \d+.*$", f"listener {port} 127.0.0.1", text, flags=re.M)
    text = re.sub(r"^persistence_location .*$", f"persistence_location {data_dir}/", text, flags=re.M)
    # Started as root, Mosquitto drops to the `mosquitto` user, which cannot write our private temp folder:
    # its persistence file would silently not be saved, and a restart would lose every session.
    text += f"\nuser {getpass.getuser()}\n"
    return text


@dataclass
class Broker:
    """One Mosquitto process; stop()/start() keep its port and its persistence folder."""

    workdir: Path
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        data_dir = self.workdir / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "mosquitto.conf"
        config.write_text(_config_for(self.port, data_dir))
        log = (self.workdir / "mosquitto.log").open("ab")
        self.process = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=log, stderr=log)
        self._wait_listening()

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
