"""Simulated devices advance their physics to the clock they are sampled at, in bounded steps."""

from __future__ import annotations

from collections.abc import Callable

MAX_STEP = 60.0  # seconds: integrate long gaps in steps so the curves stay smooth


def step_to(clock: float | None, now: float, advance: Callable[[float, float], None]) -> float:
    """Run `advance(at, dt)` in steps of at most MAX_STEP from `clock` (None: a first sample) to `now`;
    returns the new clock. One integration loop for rooms, meters and computers."""
    if clock is None:
        return now
    while clock < now:
        step = min(MAX_STEP, now - clock)
        advance(clock + step, step)
        clock += step
    return clock
