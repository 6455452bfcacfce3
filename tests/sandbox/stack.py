"""`./start.sh local` without a token, as real processes: sandbox, bot pointed at it, processor, fleet."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import settings
from sandbox.broker import Broker
from sandbox.ports import free_port
from sandbox.programs import ProcessorProcess, Program, SandboxProcess


@dataclass
class Stack:
    database_url: str
    broker: Broker
    workdir: Path
    port: int = field(default_factory=free_port)
    programs: list[Program] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, devices: int = 2) -> None:
        people = str(self.workdir / "people.json")
        sandbox = SandboxProcess(self.workdir, self.port, SANDBOX_PEOPLE_FILE=people)
        self.programs.append(sandbox)
        await sandbox.launch()
        processor = ProcessorProcess(self.database_url, self.broker, self.workdir, PROCESSOR_HTTP_PORT="0")
        self.programs.append(processor)
        await processor.launch()
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

    async def stop(self) -> None:
        for program in reversed(self.programs):
            # A program slow to exit is killed by stop(): the test's outcome does not hang on it.
            with contextlib.suppress(TimeoutError):
                await program.stop(within=20)

    def logs(self) -> str:
        return "\n".join(program.tail() for program in self.programs)

    def _spawn(self, module: str, args: list[str], **env: str) -> None:
        environment = {
            "DATABASE_URL": self.database_url,
            "MQTT_HOST": self.broker.host,
            "MQTT_PORT": str(self.broker.port),
            "PROCESSOR_HTTP_PORT": "0",
            **env,
        }
        program = Program(module, self.workdir, args, environment)
        program.start()
        self.programs.append(program)
