"""An alert rule (metric, direction, threshold, clear level, hold, critical) and a device type's defaults."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class Direction(enum.StrEnum):
    ABOVE = "above"
    BELOW = "below"


class InvalidRule(ValueError):
    """A rule whose levels contradict each other (e.g. an above-rule clearing above its threshold)."""


class RuleRow(Protocol):
    """What an `alert_rules` row (or anything shaped like it) offers."""

    metric: str
    direction: str
    threshold: float
    clear_level: float
    hold_seconds: int
    critical: float | None


@dataclass(frozen=True, slots=True)
class Rule:
    """One alert rule; construction refuses contradictory levels, so the engine can trust every rule."""

    metric: str
    direction: Direction
    threshold: float
    clear_level: float
    hold_seconds: int = 60
    critical: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "direction", _direction(self.direction))
        if not self.metric:
            raise InvalidRule("a rule needs a metric")
        if self.hold_seconds < 0:
            raise InvalidRule(f"{self.metric}: hold time cannot be negative")
        # Hysteresis: the clear level lies on the safe side of the threshold, or the alert would flap.
        if not self.is_beyond(self.threshold, self.clear_level):
            raise InvalidRule(f"{self.metric}: clear level must lie on the safe side of the threshold")
        if self.critical is not None and not self.is_beyond(self.critical, self.threshold):
            raise InvalidRule(f"{self.metric}: critical level must lie beyond the threshold")

    def is_beyond(self, value: float, level: float) -> bool:
        """True when `value` is strictly on the alarming side of `level` for this rule's direction."""
        return value > level if self.direction is Direction.ABOVE else value < level

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Rule:
        """A rule from a JSON object such as an entry of `default_config["alert_rules"]`."""
        try:
            critical = data.get("critical")
            return cls(
                metric=str(data["metric"]),
                direction=_direction(data.get("direction", "above")),
                threshold=float(data["threshold"]),
                clear_level=float(data["clear_level"]),
                hold_seconds=int(data.get("hold_seconds", 60)),
                critical=None if critical is None else float(critical),
            )
        except InvalidRule:
            raise
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidRule(f"malformed rule {dict(data)!r}: {error}") from error

    @classmethod
    def from_row(cls, row: RuleRow) -> Rule:
        """A rule from an `alert_rules` row."""
        return cls(
            metric=row.metric,
            direction=_direction(row.direction),
            threshold=row.threshold,
            clear_level=row.clear_level,
            hold_seconds=row.hold_seconds,
            critical=row.critical,
        )

    def as_mapping(self) -> dict[str, Any]:
        """The JSON / column form, the inverse of `from_mapping`."""
        return {
            "metric": self.metric,
            "direction": self.direction.value,
            "threshold": self.threshold,
            "clear_level": self.clear_level,
            "hold_seconds": self.hold_seconds,
            "critical": self.critical,
        }


def default_rules(default_config: Mapping[str, Any]) -> tuple[Rule, ...]:
    """The rules a new device of a type starts with, from that type's `default_config["alert_rules"]`."""
    entries: Iterable[Mapping[str, Any]] = default_config.get("alert_rules") or ()
    return tuple(Rule.from_mapping(entry) for entry in entries)


def _direction(value: object) -> Direction:
    try:
        return Direction(str(value))
    except ValueError:
        raise InvalidRule(f"direction must be 'above' or 'below', not {value!r}") from None
