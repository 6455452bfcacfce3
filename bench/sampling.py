"""Where a program's CPU goes while a benchmark drives it: py-spy samples, summed by stage.

py-spy (`pip install py-spy`) samples the process from outside, so the program runs unchanged; cProfile
inside it misattributes SQLAlchemy's async work (greenlets) and slows Python-heavy code several times
over. SQLAlchemy runs its synchronous core in greenlets, whose stacks py-spy shows apart, without the
coroutine that awaits them: those are told by their first frame (`roots`); any other sample by its
innermost frame matching one of the stages' markers. Samples waiting in epoll or in an idle thread pool
are left out; the CPU time the process used meanwhile (/proc) turns the shares into milliseconds per
request.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.programs import py_spy

# (stage, substring of a py-spy frame "function (path:line)"); the innermost match wins.
Marker = tuple[str, str]
IDLE = "idle"
_IDLE_LEAVES = ("EpollSelector.select (", "_worker (")


@dataclass
class Sampled:
    """Filled in when the sampling block ends."""

    stages: Counter[str] = field(default_factory=Counter)
    cpu_seconds: float = 0.0

    def milliseconds(self, requests: int) -> dict[str, float]:
        """CPU milliseconds per request by stage, largest first."""
        busy = Counter({stage: count for stage, count in self.stages.items() if stage != IDLE})
        total = sum(busy.values()) or 1
        per_request = 1000 * self.cpu_seconds / max(requests, 1)
        return {stage: per_request * count / total for stage, count in busy.most_common()}


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def sampling(
    pid: int, raw: Path, markers: list[Marker], roots: list[Marker], rate: int = 250
) -> Iterator[Sampled]:
    """py-spy records `pid` for the block (collapsed stacks in `raw`); the summary is filled in after."""
    spy = py_spy()
    command = [spy, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw"]
    command += ["--nonblocking", "--output", str(raw)]
    result = Sampled()
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started = cpu_seconds(pid)
    try:
        yield result
    finally:
        result.cpu_seconds = cpu_seconds(pid) - started
        recorder.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        _, errors = recorder.communicate(timeout=60)
    if not raw.exists():
        raise RuntimeError(f"py-spy wrote nothing: {errors.decode(errors='replace')[-500:]}")
    result.stages = stages(raw, markers, roots)


def stages(raw: Path, markers: list[Marker], roots: list[Marker]) -> Counter[str]:
    """Samples per stage from py-spy's raw output ("frame;frame;… count" per line)."""
    counts: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        counts[_stage(stack.split(";"), markers, roots)] += int(count)
    return counts


def _stage(frames: list[str], markers: list[Marker], roots: list[Marker]) -> str:
    if frames[-1].startswith(_IDLE_LEAVES):
        return IDLE
    for stage, root in roots:
        if frames[0].startswith(root):
            return stage
    # A coroutine's stack, or a partial one (py-spy sometimes reads a stack that is changing).
    for frame in reversed(frames):
        for stage, needle in markers:
            if needle in frame:
                return stage
    return "other (background tasks, interpreter, unreadable stacks)"
