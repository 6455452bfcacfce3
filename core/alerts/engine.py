"""The alert state machine: OK → PENDING → FIRING (→ CRITICAL) → OK, with hold time and hysteresis.

Pure: a reading goes in, the next state and at most one transition come out. The caller persists the state
(`State.as_row` / `State.from_row`) and turns transitions into notices.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from core.alerts.rules import Direction, Rule

# Older readings are history uploaded after an outage: stored, but an alert about them would be stale news.
BACKLOG_AGE = timedelta(minutes=10)


class Status(enum.StrEnum):
    OK = "ok"
    PENDING = "pending"  # beyond the threshold, waiting out the hold time
    FIRING = "firing"  # the alert notice went out
    CRITICAL = "critical"  # firing, and the critical level was reached and announced


class TransitionKind(enum.StrEnum):
    FIRED = "fired"
    CRITICAL = "critical"  # beyond the critical level: goes out at once, even at night
    RECOVERED = "recovered"


class StateRow(Protocol):
    """What an `alert_states` row offers."""

    state: str
    since: datetime | None
    last_value: float | None
    peak_value: float | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class State:
    """Where one rule stands.

    `since`: when the value went beyond the threshold (PENDING) or when the alert fired (FIRING, CRITICAL).
    `peak`: the worst value while firing. `last_ts`: the time of the last reading taken into account, so an
    older reading arriving late cannot move the state backwards.
    """

    status: Status = Status.OK
    since: datetime | None = None
    last_value: float | None = None
    peak: float | None = None
    last_ts: datetime | None = None

    @property
    def firing(self) -> bool:
        return self.status in (Status.FIRING, Status.CRITICAL)

    def as_row(self) -> dict[str, Any]:
        """Column values for the `alert_states` row; `updated_at` holds the last reading's time."""
        return {
            "state": self.status.value,
            "since": self.since,
            "last_value": self.last_value,
            "peak_value": self.peak,
            "updated_at": self.last_ts,
        }

    @classmethod
    def from_row(cls, row: StateRow | None) -> State:
        """The state stored by `as_row`; no row yet means OK."""
        if row is None:
            return cls()
        return cls(
            status=Status(row.state),
            since=row.since,
            last_value=row.last_value,
            peak=row.peak_value,
            last_ts=row.updated_at,
        )


@dataclass(frozen=True, slots=True)
class Transition:
    """What a notice needs to say. For RECOVERED, `since` is when the alert fired and `duration` how long."""

    kind: TransitionKind
    metric: str
    direction: Direction
    value: float
    threshold: float
    since: datetime
    at: datetime
    peak: float | None = None
    duration: timedelta | None = None

    @property
    def critical(self) -> bool:
        return self.kind is TransitionKind.CRITICAL

    @property
    def alert_type(self) -> str:
        """The `alerts.type` value, e.g. co2_high, co2_critical, humidity_low, co2_normal."""
        if self.kind is TransitionKind.RECOVERED:
            return f"{self.metric}_normal"
        if self.kind is TransitionKind.CRITICAL:
            return f"{self.metric}_critical"
        return f"{self.metric}_{'high' if self.direction is Direction.ABOVE else 'low'}"


Result = tuple[State, Transition | None]


def evaluate(rule: Rule, state: State, value: float, reading_ts: datetime, now: datetime) -> Result:
    """Feed one reading of `rule.metric` taken at `reading_ts`; `now` is the server's clock.

    "Beyond" is strict (an above-rule fires for value > T); recovery happens at value <= C (>= C below).
    Guarantees: backlog (older than BACKLOG_AGE) and out-of-order readings change nothing; at most one
    transition per call; a firing alert fires no second notice until it has recovered (below C for an
    above-rule), except once for reaching the critical level.
    """
    if reading_ts < now - BACKLOG_AGE:
        return state, None
    # A device clock running ahead must not push last_ts into the future and mute every later reading.
    ts = min(reading_ts, now)
    if state.last_ts is not None and ts < state.last_ts:
        return state, None
    seen = replace(state, last_value=value, last_ts=ts)
    if state.firing:
        return _while_firing(rule, seen, value, ts)
    return _while_quiet(rule, seen, value, ts)


def _while_quiet(rule: Rule, state: State, value: float, ts: datetime) -> Result:
    if not rule.is_beyond(value, rule.threshold):
        # Back inside the threshold: any hold in progress starts over, so a lone spike never fires.
        return replace(state, status=Status.OK, since=None, peak=None), None
    beyond_since = state.since if state.status is Status.PENDING and state.since is not None else ts
    if rule.critical is not None and rule.is_beyond(value, rule.critical):
        return _fire(rule, state, value, ts, beyond_since=beyond_since, kind=TransitionKind.CRITICAL)
    if ts - beyond_since >= timedelta(seconds=rule.hold_seconds):
        return _fire(rule, state, value, ts, beyond_since=beyond_since, kind=TransitionKind.FIRED)
    return replace(state, status=Status.PENDING, since=beyond_since, peak=None), None


def _fire(
    rule: Rule, state: State, value: float, ts: datetime, *, beyond_since: datetime, kind: TransitionKind
) -> Result:
    status = Status.CRITICAL if kind is TransitionKind.CRITICAL else Status.FIRING
    fired = replace(state, status=status, since=ts, peak=value)
    return fired, _transition(rule, kind, value=value, since=beyond_since, at=ts, peak=value)


def _while_firing(rule: Rule, state: State, value: float, ts: datetime) -> Result:
    fired_at = state.since or ts
    if not rule.is_beyond(value, rule.clear_level):
        recovered = replace(state, status=Status.OK, since=None, peak=None)
        duration = ts - fired_at
        return recovered, _transition(
            rule,
            TransitionKind.RECOVERED,
            value=value,
            since=fired_at,
            at=ts,
            peak=state.peak,
            duration=duration,
        )
    peak = value if state.peak is None or rule.is_beyond(value, state.peak) else state.peak
    escalates = (
        state.status is Status.FIRING and rule.critical is not None and rule.is_beyond(value, rule.critical)
    )
    if escalates:
        # Announced once per episode: a value hovering around the critical level must not spam either.
        critical = replace(state, status=Status.CRITICAL, peak=peak)
        return critical, _transition(
            rule, TransitionKind.CRITICAL, value=value, since=fired_at, at=ts, peak=peak
        )
    return replace(state, peak=peak), None


def _transition(
    rule: Rule,
    kind: TransitionKind,
    *,
    value: float,
    since: datetime,
    at: datetime,
    peak: float | None,
    duration: timedelta | None = None,
) -> Transition:
    return Transition(
        kind=kind,
        metric=rule.metric,
        direction=rule.direction,
        value=value,
        threshold=rule.threshold,
        since=since,
        at=at,
        peak=peak,
        duration=duration,
    )
