"""SmartAir's programs as child processes (`python -m bot|processor|device…`), run as an operator runs them.

Tests, benchmarks and the sandbox start them through these classes: each child's console (stdout and
stderr) goes to a file of its own, readiness is read from what the program itself shows (the processor logs
`mqtt connected`, the bot polls the Bot API), and stopping is SIGTERM first, as a container runtime does.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, ClassVar, Protocol

import aiohttp

from core.task_stacks import ON_REQUEST
from sandbox.botapi import BotApiDouble
from sandbox.broker import Broker
from sandbox.ports import free_port

ROOT = Path(__file__).resolve().parents[1]


class Child(Protocol):
    """A started program as Program handles it: the part of subprocess.Popen it uses."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...
    def send_signal(self, signum: int) -> None: ...
    def kill(self) -> None: ...


# Starts `command` in `cwd` with exactly `env`, its stdout and stderr on the console file.
Launcher = Callable[[Sequence[str], Path, dict[str, str], IO[bytes]], Child]


def _subprocess(command: Sequence[str], cwd: Path, env: dict[str, str], console: IO[bytes]) -> Child:
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=console, stderr=subprocess.STDOUT)


_launcher: Launcher = _subprocess


def start_with(launcher: Launcher) -> None:
    """Start every later Program with `launcher` instead of a plain subprocess (the tests fork theirs from a
    server that imported the programs' modules once: tests/kit/forkserver.py)."""
    global _launcher  # noqa: PLW0603 - one switch for the process, set once by the test run
    _launcher = launcher


def py_spy() -> str:
    """The py-spy command (installed with the dev dependencies, beside this interpreter)."""
    return shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))


def thread_stacks(pid: int) -> str:
    """Every thread's Python stack in process `pid` (py-spy dump): where a program that will not end is."""
    try:
        dump = subprocess.run(
            [py_spy(), "dump", "--pid", str(pid)], check=False, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"(no thread stacks: {error!r})"
    return f"--- thread stacks of {pid} ---\n{dump.stdout or dump.stderr}"


# Below Program.stop's default wait (30 s): a bot or processor that hangs on its way out logs its awaits
# (core.stop_deadline) before the harness kills it.
STOP_DEADLINE = "25"


class Program:
    """`python -m MODULE ARGS` with `env` over this process's environment; start() may be called again after
    a stop, appending to the same console file."""

    # Whether the program logs its tasks' chains on core.task_stacks.ON_REQUEST once it is ready (the
    # signal's default action would end any other).
    tells_tasks: ClassVar[bool] = False
    _launched: ClassVar[weakref.WeakSet[Program]] = weakref.WeakSet()

    def __init__(
        self,
        module: str,
        workdir: Path,
        args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        python_options: Sequence[str] = (),
    ) -> None:
        self.module, self.args, self.env = module, list(args), dict(env or {})
        self.python_options = list(python_options)
        workdir.mkdir(parents=True, exist_ok=True)
        self.console = workdir / f"{module.replace('.', '_')}-{time.monotonic_ns()}.log"
        self.process: Child | None = None
        self.start_offset = 0  # where this run's output starts in the console file
        self._ready_run: Child | None = None  # the run that was launched and became ready

    def start(self) -> None:
        self.start_offset = self.console.stat().st_size if self.console.exists() else 0
        command = [sys.executable, *self.python_options, "-m", self.module, *self.args]
        with self.console.open("ab") as sink:
            self.process = _launcher(command, ROOT, {**os.environ, **self.env}, sink)

    async def ready(self, within: float = 60.0) -> None:
        """Until the program shows it is ready to work (a program with no such sign is ready at once)."""

    async def launch(self) -> None:
        """Start and wait until ready."""
        self.start()
        await self.ready()
        self._ready_run = self.process
        Program._launched.add(self)

    @classmethod
    def running(cls) -> list[Program]:
        """The programs launched by this process that are still running."""
        return [program for program in cls._launched if program.alive]

    def tell_tasks(self, within: float = 3.0) -> str:
        """Where the program's tasks wait, as it logs them on request ("" from a program that cannot tell).
        Blocking: for pytest's report hook, which shows it under a failed test."""
        if not (self.tells_tasks and self.alive and self._ready_run is self.process):
            return ""
        assert self.process is not None
        before = len(self.output())
        self.process.send_signal(ON_REQUEST)
        deadline = time.monotonic() + within
        # The threads' stacks come first (core.task_stacks.log_on_request), then the tasks' chains.
        while "tasks on request" not in self.output()[before:] and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.output()[before:]

    async def restart(self) -> None:
        await self.stop()
        await self.launch()

    def output(self) -> str:
        return self.console.read_text(errors="replace") if self.console.exists() else ""

    def tail(self, chars: int = 3000) -> str:
        return f"--- {self.console} ---\n{self.output()[-chars:]}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else 0

    async def wait_output(self, needle: str, within: float = 20.0, after: int = 0) -> str:
        """The console once it shows `needle` past character `after`; fails if the program exits first."""
        deadline = time.monotonic() + within
        while True:
            alive = self.alive  # read before the output, so a program that exited has flushed it all
            output = self.output()
            if needle in output[after:]:
                return output
            if not alive:
                raise RuntimeError(f"{self.module} exited before printing {needle!r}\n{self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.module} did not print {needle!r} within {within} s\n{self.tail()}")
            await asyncio.sleep(0.05)

    async def wait_exit(self, within: float = 30.0) -> int:
        """The exit code once the program ends by itself; killed (and an error) if it takes longer."""
        assert self.process is not None, "never started"
        deadline = time.monotonic() + within
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                stacks = thread_stacks(self.process.pid)
                self.kill()
                raise TimeoutError(f"{self.module} did not exit within {within} s\n{self.tail()}\n{stacks}")
            await asyncio.sleep(0.05)
        return int(self.process.returncode)

    async def stop(self, signum: int = signal.SIGTERM, within: float = 30.0) -> int:
        """Send `signum` (SIGTERM: a graceful stop) and return the exit code (0 if it never started)."""
        if self.process is None:
            return 0
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signum)
        return await self.wait_exit(within)

    def kill(self) -> None:
        """SIGKILL, as a crash or an out-of-memory kill would end it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class ProcessorProcess(Program):
    """`python -m processor` against a database and a broker; `settings` are more environment variables."""

    tells_tasks = True

    def __init__(
        self,
        database_url: str,
        broker: Broker,
        workdir: Path,
        client_id: str = "",
        profile_to: Path | None = None,
        **settings: str,
    ) -> None:
        env = {
            "DATABASE_URL": database_url,
            "MQTT_HOST": broker.host,
            "MQTT_PORT": str(broker.port),
            "MQTT_CLIENT_ID": client_id or f"processor-{os.getpid()}-{time.monotonic_ns()}",
            "STOP_DEADLINE_SECONDS": STOP_DEADLINE,
            **settings,
        }
        options = ["-m", "cProfile", "-o", str(profile_to)] if profile_to is not None else []
        super().__init__("processor", workdir, env=env, python_options=options)

    async def ready(self, within: float = 60.0) -> None:
        """Until this run logged that it is connected and subscribed."""
        await self.wait_output("mqtt connected", within, after=self.start_offset)

    def counters(self) -> Counter[str]:
        """The last `processor counters` line this process logged; a counter never counted is not on the
        line, and reads 0 here."""
        lines = [line for line in self.output().splitlines() if "processor counters" in line]
        assert lines, self.tail()
        pairs = re.findall(r"(\w+)=(\d+)", lines[-1].split("counters", 1)[1])
        return Counter({key: int(value) for key, value in pairs})


# What a bot does once it is ready for updates: it polls, or (webhook mode) it registers its webhook.
_READY_CALLS = ("getUpdates", "setWebhook")


def bot_settings(api: BotApiDouble, database_url: str, **settings: str) -> dict[str, str]:
    """The bot's environment for a local Bot API server and a database; `settings` override the defaults."""
    return {
        "BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.url,
        "DATABASE_URL": database_url,
        "TZ": "Europe/Moscow",
        "ADMIN_USER_IDS": "",
        # Several bots (one per Bot API double) may share one database: only a bot that asks for it
        # delivers the outbox or queues digests, or rows of one test would go to another test's double.
        "DELIVERY_ENABLED": "false",
        "DIGEST_JOB_ENABLED": "false",
        "STOP_DEADLINE_SECONDS": STOP_DEADLINE,
        **settings,
    }


class BotProcess(Program):
    """`python -m bot` polling a local Bot API server. `stopped` tells a stop on purpose from a crash."""

    tells_tasks = True

    def __init__(self, api: BotApiDouble, database_url: str, workdir: Path, **settings: str) -> None:
        super().__init__("bot", workdir, env=bot_settings(api, database_url, **settings))
        self.api = api
        self.stopped = False

    def start(self) -> None:
        self.stopped = False
        self._calls_before = len(self.api.calls)
        super().start()

    async def ready(self, within: float = 180.0) -> None:
        """Until this run polls for updates or has registered its webhook. Importing aiogram alone takes
        ~20 s on a busy 2-core machine, hence the generous default."""
        deadline = time.monotonic() + within
        while not any(call.method in _READY_CALLS for call in self.api.calls[self._calls_before :]):
            if not self.alive:
                raise RuntimeError(f"the bot exited before it was ready\n{self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the bot was not ready within {within} s\n{self.tail()}")
            await asyncio.sleep(0.1)

    async def stop(self, signum: int = signal.SIGTERM, within: float = 30.0) -> int:
        self.stopped = True
        return await super().stop(signum, within)

    def kill(self) -> None:
        self.stopped = True
        super().kill()


class SandboxProcess(Program):
    """`python -m sandbox` (the Bot API server and web chat) on a port of its own; `settings` are more
    environment variables (e.g. SANDBOX_PEOPLE_FILE)."""

    def __init__(self, workdir: Path, port: int = 0, **settings: str) -> None:
        self.port = port or free_port()
        super().__init__("sandbox", workdir, env={"SANDBOX_PORT": str(self.port), **settings})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self, within: float = 30.0) -> None:
        """Until it answers /healthz."""
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if not self.alive:
                    raise RuntimeError(f"the sandbox exited before answering\n{self.tail()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the sandbox did not answer within {within} s\n{self.tail()}")
                await asyncio.sleep(0.1)
