"""The rules of a rollout as plain functions: stage sizes, a device's progress, when to halt, widen, end."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Scope(StrEnum):
    DEVICE = "device"
    CANARY = "canary"
    ALL = "all"


class RolloutState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    HALTED = "halted"
    CANCELLED = "cancelled"
    DONE = "done"


class TargetState(StrEnum):
    """A device's progress: `pending` until it reports, then the `ota` event states of SPEC 3."""

    PENDING = "pending"
    DOWNLOADING = "downloading"
    VERIFYING = "verifying"
    INSTALLING = "installing"
    SUCCESS = "success"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


REPORTED = frozenset(TargetState) - {TargetState.PENDING}
FINISHED = frozenset({TargetState.SUCCESS, TargetState.FAILED, TargetState.ROLLED_BACK})
FAILURES = frozenset({TargetState.FAILED, TargetState.ROLLED_BACK})
DEFAULT_CANARY_STAGES = (5, 25, 100)
SILENT = "no report within the timeout"

# Which operator action moves a rollout from which states, and where to.
_ACTIONS: Mapping[str, tuple[frozenset[RolloutState], RolloutState]] = {
    "pause": (frozenset({RolloutState.RUNNING}), RolloutState.PAUSED),
    "resume": (frozenset({RolloutState.PAUSED, RolloutState.HALTED}), RolloutState.RUNNING),
    "cancel": (
        frozenset({RolloutState.RUNNING, RolloutState.PAUSED, RolloutState.HALTED}),
        RolloutState.CANCELLED,
    ),
}


class NotAllowed(ValueError):
    """The action does not apply to the rollout in its current state (e.g. resuming a cancelled one)."""


def stages_for(scope: Scope, canary_stages: Iterable[int] = DEFAULT_CANARY_STAGES) -> list[int]:
    """Cumulative percentages per stage: a canary's as given (rising, ending at 100), one stage otherwise."""
    if scope is not Scope.CANARY:
        return [100]
    stages = list(canary_stages)
    if not stages or stages[-1] != 100 or any(b <= a for a, b in itertools.pairwise(stages)):
        raise ValueError("canary stages rise and end at 100")
    if stages[0] <= 0:
        raise ValueError("a stage is a positive percentage")
    return stages


def stage_quota(total: int, percent: int) -> int:
    """How many of `total` devices a stage of `percent` % covers: rounded up, so a 5 % canary of a small
    fleet still updates one device, and 100 % covers all."""
    return min(total, math.ceil(total * percent / 100)) if total > 0 else 0


def advance(current: TargetState, reported: TargetState) -> TargetState:
    """A device's state after it reports `reported`: the first finished state stays (a late or repeated
    `downloading` cannot reopen a device that already succeeded or failed)."""
    return current if current in FINISHED else reported


def is_silent(
    published_at: datetime | None, updated_at: datetime | None, now: datetime, timeout: timedelta
) -> bool:
    """A published, unfinished device that has said nothing for `timeout` counts as failed."""
    if published_at is None:
        return False
    return now - max(published_at, updated_at or published_at) > timeout


@dataclass(frozen=True, slots=True)
class Counts:
    """Devices of a rollout by state."""

    by_state: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def finished(self) -> int:
        return sum(self.by_state.get(state, 0) for state in FINISHED)

    @property
    def failures(self) -> int:
        return sum(self.by_state.get(state, 0) for state in FAILURES)

    @property
    def succeeded(self) -> int:
        return self.by_state.get(TargetState.SUCCESS, 0)

    @property
    def in_progress(self) -> int:
        return self.total - self.finished


class Verdict(StrEnum):
    CONTINUE = "continue"  # devices still working on this stage
    HALT = "halt"  # more failures than the threshold
    STAGE_DONE = "stage_done"  # every device of the stage finished; the next stage may start
    DONE = "done"  # the last stage finished


def verdict(counts: Counts, *, threshold: int, last_stage: bool) -> Verdict:
    """What a running rollout does next. Failures are counted over the whole rollout, so a canary that
    went badly halts before it reaches anyone else."""
    if counts.failures > threshold:
        return Verdict.HALT
    if counts.in_progress:
        return Verdict.CONTINUE
    return Verdict.DONE if last_stage else Verdict.STAGE_DONE


def after_action(state: RolloutState, action: str) -> RolloutState:
    """The state an operator's pause/resume/cancel leads to; NotAllowed when it does not apply."""
    allowed, to = _ACTIONS[action]
    if state not in allowed:
        raise NotAllowed(f"{action} a {state} rollout")
    return to
