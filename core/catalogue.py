"""The catalogue of device types (SPEC 3a): every metric we store, and every type's view of its metrics.

A metric is declared once (name, unit, plausible range, gauge or counter) and is one column of `telemetry`
(alembic's `catalogue` revision explains why columns). A device type lists which metrics it reports, which of
them its status line, charts, export, monthly report and morning digest line show, and its default alert
rules. Adding a type is one `DeviceTypeSpec` here (plus a migration adding its device_types row, and
columns for new metrics).
Validation (core.payloads), storage (core.telemetry_store), rollups, history, export, the report and the
settings screens all read these tables; nothing else lists metrics.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Kind(enum.StrEnum):
    GAUGE = "gauge"
    # A register that only grows (a meter's kWh): what matters is its increase over a period, and a drop
    # means the register was reset (replaced meter, firmware wipe), not negative consumption.
    COUNTER = "counter"


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    unit: str
    low: float
    high: float
    kind: Kind = Kind.GAUGE
    # Digits after the point when shown; a counter's register is also stored in double precision.
    digits: int = 1

    @property
    def is_counter(self) -> bool:
        return self.kind is Kind.COUNTER


def _rule(  # noqa: PLR0917 - a table of rules reads best positionally
    metric: str,
    direction: str,
    threshold: float,
    clear_level: float,
    critical: float | None = None,
    hold_seconds: int = 60,
) -> dict[str, Any]:
    return {
        "metric": metric,
        "direction": direction,
        "threshold": threshold,
        "clear_level": clear_level,
        "hold_seconds": hold_seconds,
        "critical": critical,
    }


class Report(enum.StrEnum):
    """Which monthly PDF a type gets: air quality (means, maxima, time above) or a meter's consumption."""

    AIR = "air"
    METER = "meter"
    HOST = "host"


class Summary(enum.StrEnum):
    """One figure of a type's digest line, over the digest's night."""

    AVERAGE = "avg"
    PEAK = "max"
    # A counter's consumption (core.services.consumption).
    USE = "use"
    # How long the device was offline (from its offline/online alerts); names no metric.
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class DigestItem:
    summary: Summary
    metric: str = ""


@dataclass(frozen=True, slots=True)
class DeviceTypeSpec:
    code: str
    name: str
    metrics: tuple[str, ...]
    # The /status line, in order; the first is the headline value.
    status: tuple[str, ...]
    # /history: one panel per group, stacked; a counter is drawn as consumption bars per hour or day.
    charts: tuple[tuple[str, ...], ...]
    report: Report
    default_rules: tuple[dict[str, Any], ...] = ()
    report_interval: int = 30
    export: tuple[str, ...] = field(default=())
    # (metric, low, high) where this type's plausible range differs from the metric's (a CPU runs hotter
    # than a room). Applied to every reading of a device of this type (MQTT and HTTP ingest).
    limits: tuple[tuple[str, float, float], ...] = ()
    # The morning digest's line for this type, in order (an air monitor's CO2 lines are the digest's own).
    digest: tuple[DigestItem, ...] = ()
    # /history: the metrics with a button of their own under the chart (the others show under "all");
    # empty: the first metric of each chart panel.
    buttons: tuple[str, ...] = ()

    @property
    def history_buttons(self) -> tuple[str, ...]:
        """The metrics /history offers one by one, in order."""
        return self.buttons or tuple(group[0] for group in self.charts)

    @property
    def ranges(self) -> dict[str, tuple[float, float]]:
        """Plausible range of each metric of this type."""
        own = {name: (low, high) for name, low, high in self.limits}
        return {name: own.get(name, (METRICS[name].low, METRICS[name].high)) for name in self.metrics}

    @property
    def exported(self) -> tuple[str, ...]:
        return self.export or self.metrics

    @property
    def counters(self) -> tuple[str, ...]:
        return tuple(name for name in self.metrics if METRICS[name].is_counter)

    def default_config(self) -> dict[str, Any]:
        """What a newly paired device of this type starts with (stored in device_types.default_config)."""
        return {
            "report_interval": self.report_interval,
            "alert_rules": [dict(rule) for rule in self.default_rules],
        }


# The order is the column order of `telemetry` and of a reading's values: append, never reorder.
METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        Metric("co2", "ppm", 0.0, 40000.0, digits=0),
        Metric("temperature", "°C", -40.0, 85.0),
        Metric("humidity", "%", 0.0, 100.0, digits=0),
        Metric("pm25", "µg/m³", 0.0, 1000.0),
        Metric("voc", "", 0.0, 500.0, digits=0),
        Metric("energy_kwh", "kWh", 0.0, 1e9, Kind.COUNTER, digits=3),
        Metric("power_w", "W", 0.0, 100_000.0, digits=0),
        Metric("voltage_v", "V", 0.0, 500.0),
        Metric("current_a", "A", 0.0, 500.0, digits=2),
        Metric("cpu_percent", "%", 0.0, 100.0),
        Metric("mem_percent", "%", 0.0, 100.0),
        Metric("disk_percent", "%", 0.0, 100.0),
        Metric("load1", "", 0.0, 1000.0, digits=2),
    )
}
METRIC_NAMES: tuple[str, ...] = tuple(METRICS)

_CO2 = _rule("co2", "above", 1000, 900, critical=2000)
_PM25 = _rule("pm25", "above", 35, 25, critical=150)
_COMFORT = (
    _rule("temperature", "above", 28, 27, hold_seconds=300),
    _rule("temperature", "below", 16, 17, hold_seconds=300),
    _rule("humidity", "above", 70, 65, hold_seconds=300),
    _rule("humidity", "below", 25, 30, hold_seconds=300),
)
_AIR = ("co2", "temperature", "humidity", "pm25", "voc")

TYPES: dict[str, DeviceTypeSpec] = {
    spec.code: spec
    for spec in (
        DeviceTypeSpec(
            "co2",
            "CO2 monitor",
            ("co2", "temperature", "humidity"),
            ("co2", "temperature", "humidity"),
            (("co2",), ("temperature",), ("humidity",)),
            Report.AIR,
            (_CO2, *_COMFORT),
        ),
        DeviceTypeSpec(
            "multi",
            "Air quality monitor",
            _AIR,
            _AIR,
            tuple((m,) for m in _AIR),
            Report.AIR,
            (_CO2, _PM25, *_COMFORT),
            buttons=("co2", "temperature", "humidity", "pm25"),  # VOC shows under "all"
        ),
        DeviceTypeSpec(
            "temp",
            "Climate sensor",
            ("temperature", "humidity"),
            ("temperature", "humidity"),
            (("temperature",), ("humidity",)),
            Report.AIR,
            _COMFORT,
            report_interval=60,
        ),
        DeviceTypeSpec("dust", "PM2.5 sensor", ("pm25",), ("pm25",), (("pm25",),), Report.AIR, (_PM25,)),
        DeviceTypeSpec(
            "meter",
            "Electricity meter",
            ("energy_kwh", "power_w", "voltage_v", "current_a"),
            ("power_w", "energy_kwh", "voltage_v"),
            (("power_w",), ("energy_kwh",)),
            Report.METER,
            (
                _rule("power_w", "above", 7000, 6000, hold_seconds=300),
                _rule("voltage_v", "above", 253, 248, hold_seconds=60),
                _rule("voltage_v", "below", 207, 212, hold_seconds=60),
            ),
            report_interval=60,
            digest=(DigestItem(Summary.USE, "energy_kwh"), DigestItem(Summary.PEAK, "power_w")),
        ),
        DeviceTypeSpec(
            "host",
            "Computer",
            ("cpu_percent", "mem_percent", "disk_percent", "load1", "temperature"),
            ("cpu_percent", "mem_percent", "disk_percent", "temperature"),
            (("cpu_percent", "mem_percent", "disk_percent"), ("load1",), ("temperature",)),
            Report.HOST,
            (
                _rule("cpu_percent", "above", 90, 80, hold_seconds=300),
                _rule("mem_percent", "above", 90, 85, hold_seconds=300),
                _rule("disk_percent", "above", 90, 85, hold_seconds=300),
            ),
            report_interval=10,
            limits=(("temperature", -40.0, 150.0),),
            digest=(
                DigestItem(Summary.PEAK, "cpu_percent"),
                DigestItem(Summary.PEAK, "disk_percent"),
                DigestItem(Summary.OFFLINE),
            ),
            buttons=("cpu_percent", "mem_percent", "disk_percent"),
        ),
    )
}


def device_type(code: str) -> DeviceTypeSpec:
    """The catalogue entry of `code`; an unknown code (a row added by hand) is shown as an air monitor."""
    return TYPES.get(code) or TYPES["co2"]


def metric_range(code: str, name: str) -> tuple[float, float]:
    """The plausible range of metric `name` on a device of type `code` (the type's own where it differs)."""
    return device_type(code).ranges.get(name, (METRICS[name].low, METRICS[name].high))


def metric(name: str) -> Metric:
    return METRICS[name]


def counters_of(code: str) -> tuple[str, ...]:
    return device_type(code).counters
