"""The rules of a rollout as plain functions: stage sizes, a device's progress, when to halt, widen, end."""

from __future__ import annotations

import itertools
import math
import re
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
# Stages a canary of the operator's size goes through after it: 25 % and all (those above its size).
_WIDER_STAGES = (25, 100)
# A stage that ended within its threshold is watched this long before the next starts by itself.
DEFAULT_SOAK = timedelta(hours=1)
MAX_SOAK = timedelta(days=7)
SILENT = "no report within the timeout"
_SOAK_TEXT = re.compile(r"(\d{1,6})\s*(s|sec|m|min|h|d)", re.IGNORECASE)
_SOAK_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}

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


def canary_stages(size: int) -> list[int]:
    """The stages of a canary of `size` % (1–99): the canary, then 25 % and 100 % where above it."""
    if not 0 < size < 100:
        raise ValueError("a canary is 1–99 % of the type")
    return [size, *(stage for stage in _WIDER_STAGES if stage > size)]


def parse_soak(text: str) -> timedelta:
    """A soak time as an operator types it: `45s`, `30m`, `2h`, `1d` (1 s … 7 days); ValueError otherwise."""
    match = _SOAK_TEXT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a soak time: {text!r}")
    soak = timedelta(seconds=int(match[1]) * _SOAK_UNITS[match[2].lower()])
    if not timedelta(0) < soak <= MAX_SOAK:
        raise ValueError(f"a soak time is 1 s to {MAX_SOAK.days} days")
    return soak


def widens_at(stage_ended_at: datetime | None, soak: timedelta | None) -> datetime | None:
    """When a stage that ended at `stage_ended_at` widens by itself: never without a soak time (the
    operator widens it) or before it ended."""
    if stage_ended_at is None or soak is None:
        return None
    return stage_ended_at + soak


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
    STAGE_DONE = "stage_done"  # every device of the stage finished; soaking, or waiting for the operator
    WIDEN = "widen"  # the stage ended within the threshold and its soak time is over: the next one starts
    DONE = "done"  # the last stage finished


def verdict(
    counts: Counts, *, threshold: int, last_stage: bool, widen_at: datetime | None = None, now: datetime
) -> Verdict:
    """What a running rollout does next. Failures are counted over the whole rollout, so a canary that
    went badly halts before it reaches anyone else; a stage widens by itself only once every device of it
    finished within the threshold and `widen_at` (rules.widens_at) has come."""
    if counts.failures > threshold:
        return Verdict.HALT
    if counts.in_progress:
        return Verdict.CONTINUE
    if last_stage:
        return Verdict.DONE
    return Verdict.WIDEN if widen_at is not None and widen_at <= now else Verdict.STAGE_DONE


def after_action(state: RolloutState, action: str) -> RolloutState:
    """The state an operator's pause/resume/cancel leads to; NotAllowed when it does not apply."""
    allowed, to = _ACTIONS[action]
    if state not in allowed:
        raise NotAllowed(f"{action} a {state} rollout")
    return to
