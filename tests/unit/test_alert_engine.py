"""The alert state machine of SPEC section 5, fed reading by reading as the processor would."""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.alerts import (
    Direction,
    InvalidRule,
    Rule,
    State,
    Status,
    Transition,
    TransitionKind,
    default_rules,
    evaluate,
    in_night,
    is_offline,
    should_notify_offline,
)
from core.models import AlertRule, AlertState

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CO2 = Rule("co2", Direction.ABOVE, threshold=1000, clear_level=900, hold_seconds=60, critical=2000)
DRY = Rule("humidity", Direction.BELOW, threshold=25, clear_level=30, hold_seconds=300)


def feed(
    rule: Rule, values: Iterable[float], state: State | None = None, step_s: int = 30, start: datetime = T0
) -> tuple[State, list[Transition]]:
    """Fresh readings every `step_s` seconds, each evaluated as it arrives."""
    state = state or State()
    transitions = []
    for i, value in enumerate(values):
        ts = start + timedelta(seconds=i * step_s)
        state, transition = evaluate(rule, state, value, ts, now=ts + timedelta(seconds=1))
        if transition is not None:
            transitions.append(transition)
    return state, transitions


def kinds(transitions: list[Transition]) -> list[TransitionKind]:
    return [t.kind for t in transitions]


def test_value_staying_above_threshold_for_hold_time_fires_once_with_what_a_notice_needs() -> None:
    state, transitions = feed(CO2, [950, 1100, 1150, 1200, 1250, 1300])
    assert kinds(transitions) == [TransitionKind.FIRED]
    fired = transitions[0]
    # Beyond T since the 2nd reading (t=30 s); held for 60 s, so it fires with the 4th reading (t=90 s).
    assert fired.since == T0 + timedelta(seconds=30)
    assert fired.at == T0 + timedelta(seconds=90)
    assert (fired.metric, fired.value, fired.threshold, fired.alert_type) == ("co2", 1200, 1000, "co2_high")
    assert not fired.critical
    assert state.status is Status.FIRING


def test_single_spike_does_not_fire() -> None:
    state, transitions = feed(CO2, [800, 1500, 800, 1500, 800])
    assert transitions == []
    assert state.status is Status.OK


def test_zero_hold_fires_on_first_reading_beyond_threshold() -> None:
    rule = Rule("pm25", Direction.ABOVE, threshold=35, clear_level=25, hold_seconds=0)
    _, transitions = feed(rule, [20, 36])
    assert kinds(transitions) == [TransitionKind.FIRED]


def test_values_between_clear_level_and_threshold_change_nothing() -> None:
    state, transitions = feed(CO2, [1100] * 4 + [990, 950, 910, 990, 920])
    assert kinds(transitions) == [TransitionKind.FIRED]
    assert state.status is Status.FIRING


def test_recovery_after_crossing_clear_level_says_how_long_it_lasted() -> None:
    state, transitions = feed(CO2, [1100, 1100, 1400, 1200, 950, 900])
    assert kinds(transitions) == [TransitionKind.FIRED, TransitionKind.RECOVERED]
    fired, recovered = transitions
    assert recovered.value == 900
    assert recovered.alert_type == "co2_normal"
    assert recovered.since == fired.at
    assert recovered.duration == timedelta(seconds=90)
    assert recovered.peak == 1400
    assert state == State(Status.OK, None, 900, None, T0 + timedelta(seconds=150))


def test_flapping_around_threshold_gives_one_notice_not_a_storm() -> None:
    rng = random.Random(7)
    noisy = [1000 + rng.uniform(-90, 90) for _ in range(500)]  # stays within (910, 1090): inside the band
    _, transitions = feed(CO2, [1100] * 3 + noisy)
    assert kinds(transitions) == [TransitionKind.FIRED]


def test_flapping_around_threshold_before_firing_never_fires() -> None:
    # Each excursion above T is shorter than the hold time.
    _, transitions = feed(CO2, [1010, 1020, 990] * 100)
    assert transitions == []


def test_backlog_reading_fires_nothing_and_changes_nothing() -> None:
    now = T0 + timedelta(hours=1)
    state = State()
    for i in range(10):
        state, transition = evaluate(CO2, state, 1800, T0 + timedelta(seconds=30 * i), now)
        assert transition is None
    assert state == State()


def test_reading_older_than_the_last_one_is_ignored() -> None:
    state, _ = feed(CO2, [1100, 1100, 1100, 1100])
    assert state.status is Status.FIRING
    late, transition = evaluate(CO2, state, 500, T0 + timedelta(seconds=10), now=T0 + timedelta(minutes=3))
    assert transition is None
    assert late == state


def test_device_clock_ahead_does_not_mute_later_readings() -> None:
    ahead = T0 + timedelta(hours=2)
    state, _ = evaluate(CO2, State(), 800, ahead, now=T0)
    state, _ = evaluate(CO2, state, 1100, T0 + timedelta(seconds=30), now=T0 + timedelta(seconds=30))
    assert state.status is Status.PENDING


def test_below_rule_fires_when_humidity_stays_too_low_and_clears_above_clear_level() -> None:
    values = [40, 24, 22, 20, 21, 20, 19, 20, 23, 27, 31]  # every 60 s; beyond T from t=60 s
    state, transitions = feed(DRY, values, step_s=60)
    assert kinds(transitions) == [TransitionKind.FIRED, TransitionKind.RECOVERED]
    fired, recovered = transitions
    assert fired.alert_type == "humidity_low"
    assert fired.at - fired.since == timedelta(seconds=300)
    assert recovered.value == 31
    assert recovered.peak == 19  # the worst value of a below-rule is its minimum
    assert state.status is Status.OK


def test_value_beyond_critical_fires_at_once_and_says_so() -> None:
    state, transitions = feed(CO2, [800, 2300])
    assert kinds(transitions) == [TransitionKind.CRITICAL]
    assert transitions[0].critical
    assert transitions[0].alert_type == "co2_critical"
    assert state.status is Status.CRITICAL


def test_firing_alert_reaching_critical_escalates_once() -> None:
    state, transitions = feed(CO2, [1100, 1100, 1100, 2100, 1900, 2200, 2500, 1500])
    assert kinds(transitions) == [TransitionKind.FIRED, TransitionKind.CRITICAL]
    escalated = transitions[1]
    assert escalated.since == transitions[0].at
    state, transitions = feed(CO2, [850], state=state, start=T0 + timedelta(minutes=5))
    assert kinds(transitions) == [TransitionKind.RECOVERED]
    assert transitions[0].peak == 2500


@pytest.mark.parametrize("readings_before_restart", [2, 5])
def test_restart_from_stored_state_neither_refires_nor_forgets(readings_before_restart: int) -> None:
    values = [1100] * 8 + [850]
    _, uninterrupted = feed(CO2, values)

    before, first_half = feed(CO2, values[:readings_before_restart])
    stored = AlertState(rule_id=1, **before.as_row())  # the row the processor writes
    restored = State.from_row(stored)
    assert restored == before
    later = T0 + timedelta(seconds=30 * readings_before_restart)
    _, second_half = feed(CO2, values[readings_before_restart:], state=restored, start=later)

    assert kinds(first_half + second_half) == kinds(uninterrupted)
    assert second_half[-1].since == uninterrupted[-1].since


def test_no_stored_row_means_ok() -> None:
    assert State.from_row(None) == State()


@pytest.mark.parametrize(
    "rule",
    [
        {"metric": "co2", "direction": "above", "threshold": 1000, "clear_level": 1100},
        {"metric": "co2", "direction": "above", "threshold": 1000, "clear_level": 1000},
        {"metric": "humidity", "direction": "below", "threshold": 25, "clear_level": 20},
        {"metric": "co2", "direction": "above", "threshold": 1000, "clear_level": 900, "critical": 950},
        {"metric": "co2", "direction": "sideways", "threshold": 1000, "clear_level": 900},
        {"metric": "co2", "direction": "above", "threshold": 1000, "clear_level": 900, "hold_seconds": -1},
        {"metric": "co2", "direction": "above", "clear_level": 900},
        {"metric": "co2", "direction": "above", "threshold": "high", "clear_level": 900},
    ],
)
def test_invalid_rule_is_refused(rule: dict[str, object]) -> None:
    with pytest.raises(InvalidRule):
        Rule.from_mapping(rule)


def device_types_seeded_by_migration() -> dict[str, dict[str, Any]]:
    path = Path(__file__).parents[2] / "alembic" / "versions" / "0001_initial_schema.py"
    spec = importlib.util.spec_from_file_location("initial_schema", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {entry["code"]: entry for entry in module.DEVICE_TYPES}


def test_every_device_type_default_loads_as_valid_rules() -> None:
    types = device_types_seeded_by_migration()
    rules = {code: default_rules(entry["default_config"]) for code, entry in types.items()}
    co2 = next(rule for rule in rules["co2"] if rule.metric == "co2")
    assert co2 == Rule(
        "co2", Direction.ABOVE, threshold=1000, clear_level=900, hold_seconds=60, critical=2000
    )
    assert {(r.metric, r.direction) for r in rules["temp"]} == {
        ("temperature", Direction.ABOVE),
        ("temperature", Direction.BELOW),
        ("humidity", Direction.ABOVE),
        ("humidity", Direction.BELOW),
    }
    assert [r.metric for r in rules["dust"]] == ["pm25"]
    assert all(Rule.from_mapping(r.as_mapping()) == r for rs in rules.values() for r in rs)


def test_rule_copied_to_a_device_row_reads_back_the_same() -> None:
    row = AlertRule(device_id=1, **CO2.as_mapping())  # what pairing writes for the device
    assert Rule.from_row(row) == CO2


def test_offline_after_three_missed_reports_but_never_before_90_seconds() -> None:
    assert not is_offline(T0, 30, now=T0 + timedelta(seconds=89))
    assert is_offline(T0, 30, now=T0 + timedelta(seconds=90))
    assert not is_offline(T0, 60, now=T0 + timedelta(seconds=179))
    assert is_offline(T0, 60, now=T0 + timedelta(seconds=180))
    assert not is_offline(T0, 5, now=T0 + timedelta(seconds=60))  # live mode: 5 s reports, still 90 s
    assert is_offline(None, 30, now=T0)


def test_a_configured_minimum_silence_replaces_the_90_seconds() -> None:
    floor = timedelta(seconds=2)
    assert not is_offline(T0, 0.5, now=T0 + timedelta(seconds=1.9), min_silence=floor)
    assert is_offline(T0, 0.5, now=T0 + timedelta(seconds=2), min_silence=floor)
    assert not is_offline(T0, 30, now=T0 + timedelta(seconds=89), min_silence=floor)  # 3 reports still count
    assert is_offline(T0, 30, now=T0 + timedelta(seconds=90), min_silence=floor)


def test_offline_notice_at_most_once_per_30_minutes() -> None:
    assert should_notify_offline(None, T0)
    assert not should_notify_offline(T0, T0 + timedelta(minutes=29, seconds=59))
    assert should_notify_offline(T0, T0 + timedelta(minutes=30))


@pytest.mark.parametrize(
    ("utc_time", "start", "end", "zone", "expected"),
    [
        ("2026-11-23T20:30", 23, 7, "Europe/Moscow", True),  # 23:30 in Moscow (UTC+3)
        ("2026-11-23T19:59", 23, 7, "Europe/Moscow", False),  # 22:59
        ("2026-11-24T03:59", 23, 7, "Europe/Moscow", True),  # 06:59
        ("2026-11-24T04:00", 23, 7, "Europe/Moscow", False),  # 07:00
        ("2026-07-01T13:30", 13, 15, "Europe/Berlin", False),  # 15:30 summer time (UTC+2)
        ("2026-07-01T12:30", 13, 15, "Europe/Berlin", True),  # 14:30
        ("2026-11-23T12:00", None, 7, "UTC", False),
        ("2026-11-23T12:00", 7, 7, "UTC", False),
    ],
)
def test_night_hours_are_local_and_wrap_midnight(
    utc_time: str, start: int | None, end: int | None, zone: str, expected: bool
) -> None:
    instant = datetime.fromisoformat(utc_time).replace(tzinfo=UTC)
    assert in_night(instant, start, end, zone) is expected
