"""Starts the programs under test (`python -m bot`, `python -m processor`, …) by forking them from one server.

A test run starts the bot and the processor dozens of times, and each start used to spend most of its CPU
importing the same libraries (aiogram alone builds its ~630 pydantic models for ~6 s). One server per run
imports the programs' modules once; each start connects to it over a Unix socket and the server forks a
child that becomes the program: the start's environment, arguments, working directory, console file and a
process group of its own, signals at their defaults, and `runpy` running the module as `__main__` as
`python -m` does. What the tests observe is the real program: its own main, signal handlers, exit code and
console lines. The start's connection stays open until the server sends the child's wait status back; a
start whose connection closes early has its child's process group killed, as does the end of the run.
What differs from a fresh interpreter: `ps` lists a forked program under the server's command line, and
the forked programs share the server's string-hash seed. The server's log (beside its socket in the
temporary directory) has each program's pid, exit status and CPU.

A start falls back to a plain subprocess when it is not a `python -m MODULE` run (e.g. under cProfile), when
it sets Python's own startup variables (PYTHON*) differently from the server's, when SMARTAIR_FORKSERVER=0,
or when the server cannot be had.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import runpy
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tests.kit.wait import eventually

if TYPE_CHECKING:
    from sandbox.programs import Child

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
# The modules the server imports before it forks: the programs the tests start through sandbox.programs.
PRELOAD = (
    "bot.__main__",
    "bot.jobs.__main__",
    "processor.__main__",
    "device.__main__",
    "device.simulate",
    "sandbox.__main__",
)
ENABLED = "SMARTAIR_FORKSERVER"
# The process whose end ends the server (tests/conftest.py names the run's controller).
RUN_PID = "SMARTAIR_TEST_RUN_PID"
_STARTING_WITHIN = 180.0  # importing aiogram alone takes ~20 s on a busy 2-core machine


@dataclass(frozen=True)
class Start:
    """One program start: `python -m module *args` in `cwd` with exactly `env`, its stdout and stderr
    appended to the files named (the same file for a program's console)."""

    module: str
    args: list[str]
    env: dict[str, str]
    cwd: str
    stdout: str
    stderr: str


def _python_startup(env: dict[str, str]) -> dict[str, str]:
    """The variables Python reads once, at interpreter start: a fork would keep the server's."""
    return {name: value for name, value in env.items() if name.startswith("PYTHON")}


# --- the client side: what sandbox.programs.Program starts its programs with -----------------------------


class ForkedChild:
    """A program forked by the server, handled like `subprocess.Popen` (the part Program uses): `pid`,
    `returncode` (negative: the signal that ended it), `poll()`, `wait()`, `send_signal()`, `kill()`."""

    def __init__(self, connection: socket.socket, pid: int, args: list[str], received: bytes) -> None:
        self.connection, self.pid, self.args = connection, pid, args
        self.returncode: int | None = None
        self._received = received  # what came after the pid: the status of a program that ended at once
        if b"\n" in received:
            self._ended()

    def poll(self) -> int | None:
        if self.returncode is None:
            self.connection.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                self._receive()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            self.connection.settimeout(remaining)
            with contextlib.suppress(TimeoutError):
                self._receive()
        return self.returncode

    def send_signal(self, signum: int) -> None:
        # As Popen: a program known to have ended is not signalled (its pid may be someone else's by now).
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _receive(self) -> None:
        chunk = self.connection.recv(4096)
        if not chunk:
            self.connection.close()
            raise RuntimeError(f"the fork server went away while {self.args} ran (pid {self.pid})")
        self._received += chunk
        if b"\n" in self._received:
            self._ended()

    def _ended(self) -> None:
        status = json.loads(self._received.split(b"\n", 1)[0])["status"]
        self.returncode = os.waitstatus_to_exitcode(status)
        self.connection.close()


def start(
    command: Sequence[str],
    cwd: Path,
    env: dict[str, str],
    console: IO[bytes],
    stderr: IO[bytes] | None = None,
) -> Child:
    """Start `command` with its stdout on `console` and its stderr there too or on `stderr`: forked by the
    run's server when it is a `python -m MODULE` run it can serve, else as a plain subprocess."""
    errors = stderr or console
    forkable = len(command) >= 3 and command[0] == sys.executable and command[1] == "-m"
    if forkable and os.environ.get(ENABLED, "1") != "0":
        program = Start(command[2], list(command[3:]), env, str(cwd), console.name, errors.name)
        child = _forked(program)
        if child is not None:
            return child
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=console, stderr=stderr or subprocess.STDOUT)


@dataclass(frozen=True)
class Finished:
    """How a program run to its end ended: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


async def run_to_end(
    module: str, *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT, within: float = 60.0
) -> Finished:
    """Run `python -m module *args` (with `env` as its whole environment, this process's by default) until it
    exits by itself, started as every program of the tests is; killed, and an error, after `within` s."""
    with tempfile.TemporaryDirectory(prefix="smartair-run-") as folder:
        out, err = Path(folder) / "stdout", Path(folder) / "stderr"
        with out.open("ab") as stdout, err.open("ab") as stderr:
            child = start([sys.executable, "-m", module, *args], cwd, dict(env or os.environ), stdout, stderr)

        async def exited() -> bool:
            return child.poll() is not None

        try:
            await eventually(exited, within=within)
        except AssertionError:
            child.kill()
            child.wait()
            raise TimeoutError(f"python -m {module} {args} did not exit within {within} s") from None
        return Finished(child.wait(), out.read_text(errors="replace"), err.read_text(errors="replace"))


def _forked(program: Start) -> ForkedChild | None:
    connection = _connect()
    if connection is None:
        return None
    connection.sendall(json.dumps(program.__dict__).encode() + b"\n")
    received = b""
    while b"\n" not in received:
        chunk = connection.recv(4096)
        if not chunk:
            break
        received += chunk
    line, _, rest = received.partition(b"\n")
    answer = json.loads(line or b"{}")
    if "pid" not in answer:
        connection.close()
        logger.info("fork server: %s starts as a subprocess (%s)", program.module, answer.get("refused"))
        return None
    command = [sys.executable, "-m", program.module, *program.args]
    return ForkedChild(connection, answer["pid"], command, rest)


def _paths() -> tuple[Path, Path]:
    run = os.environ.get("SMARTAIR_TEST_RUN", f"pid{os.getpid()}")
    base = Path(tempfile.gettempdir()) / f"smartair-forkserver-{run}"
    return base.with_suffix(".sock"), base.with_suffix(".log")


def _connect() -> socket.socket | None:
    """A connection to the run's server; the first start of the run starts it (one start at a time)."""
    path, log = _paths()
    connection = _try_connect(path)
    if connection is not None:
        return connection
    with path.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        connection = _try_connect(path)
        if connection is None and not log.exists():
            connection = _start_server(path, log)
    return connection


def _try_connect(path: Path) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(str(path))
    except OSError:
        connection.close()
        return None
    return connection


def _start_server(path: Path, log: Path) -> socket.socket | None:
    """Start the server and connect once it listens; None (and the run goes on with subprocesses) if it
    exits first or takes too long. Its log file tells later starts that it was tried."""
    run_pid = os.environ.get(RUN_PID, str(os.getpid()))
    with log.open("ab") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", __name__, str(path), run_pid],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + _STARTING_WITHIN
    while server.poll() is None and time.monotonic() < deadline:
        connection = _try_connect(path)
        if connection is not None:
            return connection
        time.sleep(0.1)
    server.kill()
    logger.warning("fork server did not start: programs start as subprocesses; see %s", log)
    return None


# --- the server side: `python -m tests.kit.forkserver SOCKET RUN_PID` ---------------------------------


class Server:
    """Accepts starts, forks a child for each and sends its wait status back when it ends. Single-threaded,
    so that forking is safe: the children inherit no thread and no lock held by one."""

    def __init__(self, path: Path, run_pid: int) -> None:
        self.path = path
        self.startup = _python_startup(dict(os.environ))
        self.selector = selectors.DefaultSelector()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.run = os.pidfd_open(run_pid)
        self.children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, its start's connection)

    def serve(self) -> Start | None:
        """Serve until the run ends (then None); in each forked child, return its start instead."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.listener.bind(str(self.path))
        self.listener.listen(64)
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(self.run, selectors.EVENT_READ, "run ended")
        while True:
            for key, _ in self.selector.select():
                if key.data == "run ended":
                    self._close()
                    return None
                if key.data == "accept":
                    program = self._accept()
                    if program is not None:
                        return program
                elif key.data == "exited":
                    self._report(key.fd)
                else:
                    self._abandoned(key.data)

    def _accept(self) -> Start | None:
        connection, _ = self.listener.accept()
        connection.settimeout(10)
        try:
            with connection.makefile("rb") as stream:
                program = Start(**json.loads(stream.readline()))
        except (OSError, ValueError, TypeError) as error:
            connection.close()
            print(f"bad start request: {error!r}", flush=True)  # noqa: T201 - the server's log
            return None
        if _python_startup(program.env) != self.startup:
            self._answer(connection, {"refused": "PYTHON* variables differ from the server's"})
            connection.close()
            return None
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self._close_in_child(connection)
            return program
        print(f"started pid={pid} module={program.module} args={program.args}", flush=True)  # noqa: T201
        # Also here, not only in the child: a kill of its group must not find it still in the server's.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.setpgid(pid, pid)
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = (pid, connection)
        self.selector.register(pidfd, selectors.EVENT_READ, "exited")
        self.selector.register(connection, selectors.EVENT_READ, pidfd)
        self._answer(connection, {"pid": pid})
        return None

    def _report(self, pidfd: int) -> None:
        pid, connection = self.children.pop(pidfd)
        _, status, usage = os.wait4(pid, 0)
        # Each program's CPU (its reaped children's included): the run's own accounting never sees it, the
        # server being no test process's child by then.
        cpu = usage.ru_utime + usage.ru_stime
        print(f"ended pid={pid} status={status} cpu={cpu:.2f}", flush=True)  # noqa: T201 - the server's log
        self.selector.unregister(pidfd)
        with contextlib.suppress(KeyError):  # not if abandoned
            self.selector.unregister(connection)
        os.close(pidfd)
        self._answer(connection, {"status": status})
        connection.close()

    def _abandoned(self, pidfd: int) -> None:
        """The start's connection closed (or spoke) before its program ended: no one can see it any more."""
        pid, connection = self.children[pidfd]
        self.selector.unregister(connection)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)

    @staticmethod
    def _answer(connection: socket.socket, message: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            connection.sendall(json.dumps(message).encode() + b"\n")

    def _close_in_child(self, connection: socket.socket) -> None:
        """The child keeps none of the server's descriptors (as subprocess's close_fds)."""
        connection.close()
        for pidfd, (_, other) in self.children.items():
            other.close()
            os.close(pidfd)
        self.selector.close()
        self.listener.close()
        os.close(self.run)

    def _close(self) -> None:
        for pid, _ in self.children.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        for pidfd in list(self.children):
            self._report(pidfd)
        spent = os.times()
        itself, children = spent.user + spent.system, spent.children_user + spent.children_system
        print(f"run ended: cpu self={itself:.2f} children={children:.2f}", flush=True)  # noqa: T201
        for leftover in (self.path, self.path.with_suffix(".lock")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def become(program: Start) -> None:
    """In the forked child: become `python -m program.module *args` and run it; it never returns but by
    the program's own exit (SystemExit, an exception: handled by the interpreter as for `python -m`)."""
    os.setpgid(0, 0)
    for signum in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(program.cwd)
    for fd, path, flags in (
        (0, os.devnull, os.O_RDONLY),
        (1, program.stdout, os.O_WRONLY | os.O_APPEND | os.O_CREAT),
        (2, program.stderr, os.O_WRONLY | os.O_APPEND | os.O_CREAT),
    ):
        opened = os.open(path, flags, 0o644)
        os.dup2(opened, fd)
        os.close(opened)
    os.environ.clear()
    os.environ.update(program.env)
    time.tzset()
    sys.argv = [program.module, *program.args]
    sys.path[0] = program.cwd
    # As under `python -m`, the module run as __main__ is not also imported under its own name (the server
    # may have imported it with the programs' modules).
    sys.modules.pop(program.module, None)
    sys.modules.pop(f"{program.module}.__main__", None)
    runpy.run_module(program.module, run_name="__main__", alter_sys=True)


def _preload() -> None:
    for module in PRELOAD:
        __import__(module)


if __name__ == "__main__":
    _preload()
    started = Server(Path(sys.argv[1]), int(sys.argv[2])).serve()
    if started is not None:
        become(started)
