"""Telegraf's cpu, mem, disk, system and temp inputs → the `host` metrics of the catalogue (SPEC 3a).

Points of one timestamp become one reading. What a host reports beyond these (net, diskio…) is ignored, not
refused: a Telegraf configured with more inputs still works. A mapped value outside the catalogue's range
refuses its line.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.line_protocol import BadLine, FieldValue, Point
from core.payloads import MAX_AGE_SECONDS, MAX_FUTURE_SECONDS

# temp's sensors also report their limits (…_crit, …_max, …_critalarm): only the current value is a reading.
_TEMP_LIMITS = ("_crit", "_max", "_min", "_alarm", "_critalarm", "_high", "_low")


def host_metrics(point: Point) -> dict[str, float]:  # noqa: PLR0911 - one return per input: the mapping table
    """The host metrics `point` carries; ValueError when a field we map is not a number."""
    fields = point.fields
    match point.measurement:
        case "cpu" if point.tags.get("cpu", "cpu-total") == "cpu-total":
            if "usage_active" in fields:
                return {"cpu_percent": _number(fields["usage_active"])}
            if "usage_idle" in fields:  # rounding can put idle a hair above 100
                return {"cpu_percent": max(0.0, 100.0 - _number(fields["usage_idle"]))}
        case "mem" if "used_percent" in fields:
            return {"mem_percent": _number(fields["used_percent"])}
        case "disk" if "used_percent" in fields:
            return {"disk_percent": _number(fields["used_percent"])}
        case "system" if "load1" in fields:
            return {"load1": _number(fields["load1"])}
        case "temp" if "temp" in fields and not point.tags.get("sensor", "").endswith(_TEMP_LIMITS):
            return {"temperature": _number(fields["temp"])}
    return {}


def readings(
    points: Iterable[tuple[int, Point]], now: float, ranges: dict[str, tuple[float, float]]
) -> tuple[dict[float, dict[str, float]], list[BadLine]]:
    """Host metrics per timestamp (unix seconds), and the lines refused (wrong type, out of range, a
    timestamp too far ahead or behind: SPEC 3's rules for readings).

    Several disks or temperature sensors at one timestamp keep the highest: the one an alert is about.
    """
    by_ts: dict[float, dict[str, float]] = {}
    bad: list[BadLine] = []
    for number, point in points:
        try:
            metrics = host_metrics(point)
        except ValueError as error:
            bad.append(BadLine(number, str(error)))
            continue
        refused = next((name for name, value in metrics.items() if not _in_range(value, ranges[name])), None)
        if refused is not None:
            bad.append(BadLine(number, f"{refused} out of range"))
            continue
        if not metrics:
            continue
        ts = point.ts_ns / 1e9 if point.ts_ns is not None else now
        if not now - MAX_AGE_SECONDS <= ts <= now + MAX_FUTURE_SECONDS:
            bad.append(BadLine(number, "timestamp out of range"))
            continue
        reading = by_ts.setdefault(ts, {})
        for name, value in metrics.items():
            reading[name] = max(value, reading.get(name, value))
    return by_ts, bad


def _in_range(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _number(value: FieldValue) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number")
    return float(value)
