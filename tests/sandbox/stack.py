"""`./start.sh local` without a token, as real processes: sandbox, bot pointed at it, processor, fleet."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from sandbox import settings
from sandbox.ports import free_port
from tests.processor.helpers import ProcessorProcess, new_uid
from tests.support.broker import Broker

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stack:
    database_url: str
    broker: Broker
    workdir: Path
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    processor: ProcessorProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, devices: int = 2) -> None:
        people = str(self.workdir / "people.json")
        self._spawn("sandbox", [], SANDBOX_PORT=str(self.port), SANDBOX_PEOPLE_FILE=people)
        await self._wait_healthy()
        self.processor = ProcessorProcess(
            self.database_url, self.broker, new_uid("proc"), self.workdir / "processor.log"
        )
        self.processor.start()
        await self.processor.wait_connected()
        self._spawn(
            "bot",
            [],
            BOT_TOKEN=settings.TOKEN,
            TELEGRAM_API_URL=self.url,
            BOT_HTTP_PORT="0",
            DELIVERY_ENABLED="true",
            DIGEST_JOB_ENABLED="false",
        )
        fleet = ["--devices", str(devices), "--interval", "2", "--provision", "--backfill", "24"]
        fleet += ["--sandbox", self.url]
        broker = ["--host", self.broker.host, "--port", str(self.broker.port), "--prefix", "web"]
        self._spawn("device.simulate", [*fleet, *broker])

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        processor = self.processor.process if self.processor is not None else None
        if self.processor is not None and processor is not None and processor.poll() is None:
            self.processor.terminate(timeout=20)

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in self._logs())

    def _logs(self) -> list[Path]:
        return sorted(self.workdir.glob("*.log"))

    def _spawn(self, module: str, args: list[str], **env: str) -> None:
        log = (self.workdir / f"{module}.log").open("ab")
        environment = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "MQTT_HOST": self.broker.host,
            "MQTT_PORT": str(self.broker.port),
            "PROCESSOR_HTTP_PORT": "0",
            **env,
        }
        command = [sys.executable, "-m", module, *args]
        self.processes.append(subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log))

    async def _wait_healthy(self) -> None:
        await wait_healthy(self.url, self.processes[0], self.logs)


async def wait_healthy(
    url: str, process: subprocess.Popen[bytes], logs: Callable[[], str], within: float = 30.0
) -> None:
    """Until `url`/healthz answers 200; fails at once, with the logs, if the process exits first."""
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            assert process.poll() is None, f"{url} exited\n{logs()}"
            assert time.monotonic() < deadline, f"{url} did not answer within {within} s\n{logs()}"
            await asyncio.sleep(0.1)
