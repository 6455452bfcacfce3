"""Plain input types for the charts: readings or hourly buckets per metric, and what frames them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Point:
    """One raw reading: an aware UTC timestamp and its value."""

    ts: datetime
    value: float


@dataclass(frozen=True, slots=True)
class Bucket:
    """One hour of the rollup: `ts` is the start of the hour."""

    ts: datetime
    min: float
    mean: float
    max: float


BUCKET_WIDTH = timedelta(hours=1)

Series = Sequence[Point] | Sequence[Bucket]


@dataclass(frozen=True, slots=True)
class Period:
    """The time span a chart covers, aware UTC instants, start < end."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class History:
    """Everything a history chart shows for one device.

    `series` maps a metric (co2, temperature, humidity, pm25, voc) to raw points or hourly buckets, oldest
    first; `report_interval_s` tells a normal pause between readings from an outage.
    """

    device_name: str
    period: Period
    tz_name: str
    series: Mapping[str, Series]
    report_interval_s: float = 30
    co2_threshold: float | None = 1000
    # A counter's consumption per hour or day (bucket start, amount), drawn as bars under the lines.
    consumption: Mapping[str, Sequence[tuple[datetime, float]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Comparison:
    """One metric across several devices, for the comparison chart."""

    metric: str
    period: Period
    tz_name: str
    series: Mapping[str, Series]  # device name → points or buckets
    report_interval_s: float = 30
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One local day of a month: per-metric daily average and maximum, time above threshold, uptime."""

    day: date
    means: Mapping[str, float] = field(default_factory=dict)
    maxima: Mapping[str, float] = field(default_factory=dict)
    hours_above: float = 0.0  # hours with CO2 above the device's threshold
    uptime: float = 1.0  # share of the day the device was online, 0..1


@dataclass(frozen=True, slots=True)
class AlertEntry:
    """One alert of the month as the report lists it."""

    ts: datetime
    kind: str  # e.g. co2_high, co2_normal, device_offline
    value: float | None = None
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class MonthUse:
    """A counter's month: consumed in all, by day and by night, the register at the month's first and last
    reading, and per day."""

    metric: str
    total: float
    day: float
    night: float
    start_value: float | None
    end_value: float | None
    daily: Sequence[tuple[date, float]] = ()


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    """Everything the monthly PDF shows for one device."""

    device_name: str
    year: int
    month: int
    tz_name: str
    days: Sequence[DaySummary]
    alerts: Sequence[AlertEntry] = ()
    co2_threshold: float | None = 1000
    use: Sequence[MonthUse] = ()
