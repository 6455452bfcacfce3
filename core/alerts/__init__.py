"""Alert rules and the pure state machine that decides when an alert fires or recovers (SPEC section 5)."""

from core.alerts.engine import BACKLOG_AGE, State, Status, Transition, TransitionKind, evaluate
from core.alerts.night import in_night
from core.alerts.presence import OFFLINE_NOTICE_INTERVAL, is_offline, offline_after, should_notify_offline
from core.alerts.rules import Direction, InvalidRule, Rule, default_rules

__all__ = [
    "BACKLOG_AGE",
    "OFFLINE_NOTICE_INTERVAL",
    "Direction",
    "InvalidRule",
    "Rule",
    "State",
    "Status",
    "Transition",
    "TransitionKind",
    "default_rules",
    "evaluate",
    "in_night",
    "is_offline",
    "offline_after",
    "should_notify_offline",
]
