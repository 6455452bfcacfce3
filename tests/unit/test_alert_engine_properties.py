"""Properties of the alert engine over arbitrary reading sequences (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.alerts import Direction, Rule, State, Transition, TransitionKind, evaluate
from core.models import AlertState

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CO2 = Rule("co2", Direction.ABOVE, threshold=1000, clear_level=900, hold_seconds=60, critical=2000)
DRY = Rule("humidity", Direction.BELOW, threshold=25, clear_level=30, hold_seconds=120, critical=10)

Reading = tuple[datetime, float]


def readings(low: float, high: float) -> st.SearchStrategy[list[Reading]]:
    """Fresh readings 1–120 s apart with values anywhere from `low` to `high`."""
    steps = st.lists(
        st.tuples(st.integers(1, 120), st.floats(low, high, allow_nan=False)), min_size=1, max_size=120
    )

    def to_readings(pairs: list[tuple[int, float]]) -> list[Reading]:
        ts, out = T0, []
        for step, value in pairs:
            ts += timedelta(seconds=step)
            out.append((ts, value))
        return out

    return steps.map(to_readings)


def run(rule: Rule, sequence: list[Reading], state: State | None = None) -> tuple[State, list[Transition]]:
    state, transitions = state or State(), []
    for ts, value in sequence:
        state, transition = evaluate(rule, state, value, ts, now=ts)
        if transition:
            transitions.append(transition)
    return state, transitions


def check_episodes(rule: Rule, sequence: list[Reading], transitions: list[Transition]) -> None:
    """One notice per episode (plus at most one escalation), and each one justified by the readings."""
    firing, critical_sent = False, False
    hold = timedelta(seconds=rule.hold_seconds)
    for transition in transitions:
        if transition.kind is TransitionKind.RECOVERED:
            assert firing
            assert not rule.is_beyond(transition.value, rule.clear_level)
            firing, critical_sent = False, False
        elif transition.kind is TransitionKind.CRITICAL:
            assert not critical_sent
            assert rule.critical is not None and rule.is_beyond(transition.value, rule.critical)
            firing, critical_sent = True, True
        else:
            assert not firing
            assert transition.at - transition.since >= hold
            streak = [v for ts, v in sequence if transition.since <= ts <= transition.at]
            assert all(rule.is_beyond(v, rule.threshold) for v in streak)
            firing = True


@settings(max_examples=150, deadline=None)
@given(readings(700, 2200))
def test_above_rule_never_notifies_twice_per_episode_nor_without_cause(sequence: list[Reading]) -> None:
    _, transitions = run(CO2, sequence)
    check_episodes(CO2, sequence, transitions)


@settings(max_examples=150, deadline=None)
@given(readings(5, 40))
def test_below_rule_never_notifies_twice_per_episode_nor_without_cause(sequence: list[Reading]) -> None:
    _, transitions = run(DRY, sequence)
    check_episodes(DRY, sequence, transitions)


@settings(max_examples=150, deadline=None)
@given(readings(850, 1100))
def test_values_inside_the_band_after_firing_never_notify(sequence: list[Reading]) -> None:
    fired, _ = run(CO2, [(T0 - timedelta(seconds=s), 1200) for s in (120, 60, 0)])
    inside = [(ts, min(max(value, 901), 1099)) for ts, value in sequence]
    _, transitions = run(CO2, inside, fired)
    assert transitions == []


@settings(max_examples=100, deadline=None)
@given(readings(700, 2200), st.integers(0, 120))
def test_restart_at_any_point_changes_nothing(sequence: list[Reading], cut: int) -> None:
    cut = min(cut, len(sequence))
    _, uninterrupted = run(CO2, sequence)
    before, first = run(CO2, sequence[:cut])
    restored = State.from_row(AlertState(rule_id=1, **before.as_row()))
    _, second = run(CO2, sequence[cut:], restored)
    assert first + second == uninterrupted


@settings(max_examples=100, deadline=None)
@given(readings(700, 2200), st.integers(601, 86400))
def test_backlog_never_changes_the_state(sequence: list[Reading], age_s: int) -> None:
    state, _ = run(CO2, sequence[: len(sequence) // 2])
    for ts, value in sequence:
        assert evaluate(CO2, state, value, ts, now=ts + timedelta(seconds=age_s)) == (state, None)
