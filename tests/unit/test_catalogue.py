"""core.catalogue: every device type is coherent, and validation follows the catalogue's ranges."""

from __future__ import annotations

import pytest

from core import catalogue, payloads
from core.alerts import Rule
from core.models import Telemetry
from core.telemetry_store import COLUMNS

NOW = 1_733_612_400.0


@pytest.mark.parametrize("spec", catalogue.TYPES.values(), ids=lambda spec: spec.code)
def test_a_type_shows_and_alerts_only_on_its_own_metrics(spec: catalogue.DeviceTypeSpec):
    assert set(spec.metrics) <= set(catalogue.METRICS)
    assert set(spec.status) <= set(spec.metrics)
    assert {m for panel in spec.charts for m in panel} <= set(spec.metrics)
    assert set(spec.exported) <= set(spec.metrics)
    for data in spec.default_rules:
        rule = Rule.from_mapping(data)  # refuses contradictory levels
        low, high = spec.ranges[rule.metric]
        assert rule.metric in spec.metrics
        assert low <= rule.clear_level <= high and low <= rule.threshold <= high


def test_the_shipped_types_carry_the_metrics_of_spec_3a():
    assert catalogue.TYPES["meter"].metrics == ("energy_kwh", "power_w", "voltage_v", "current_a")
    assert catalogue.TYPES["meter"].counters == ("energy_kwh",)
    assert catalogue.TYPES["host"].metrics == (
        "cpu_percent",
        "mem_percent",
        "disk_percent",
        "load1",
        "temperature",
    )
    assert catalogue.TYPES["co2"].counters == ()


def test_every_catalogue_metric_is_a_telemetry_column_in_catalogue_order():
    # Ingest's rows carry the time as unix seconds ("epoch"), converted by PostgreSQL on insert.
    assert ("device_id", "epoch", *catalogue.METRIC_NAMES) == COLUMNS
    assert all(name in Telemetry.__table__.c for name in catalogue.METRIC_NAMES)


def test_a_meter_reading_is_valid_and_its_out_of_range_values_are_refused():
    raw = b'{"energy_kwh": 15234.567, "power_w": 2300, "voltage_v": 229.5, "current_a": 10.02}'
    (reading,) = payloads.parse_telemetry(raw, "m-1", NOW).readings
    assert reading.metrics() == {
        "energy_kwh": 15234.567,
        "power_w": 2300,
        "voltage_v": 229.5,
        "current_a": 10.02,
    }
    assert payloads.parse_telemetry(b'{"power_w": -5}', "m-1", NOW).rejected == ["out_of_range"]
    assert payloads.parse_telemetry(b'{"cpu_percent": 100.5}', "h-1", NOW).rejected == ["out_of_range"]


def test_a_host_may_run_hotter_than_a_room_where_its_type_is_known():
    hot = b'{"temperature": 92.0, "cpu_percent": 40}'
    assert payloads.parse_telemetry(hot, "h-1", NOW).rejected == ["out_of_range"]
    (reading,) = payloads.parse_telemetry(hot, "h-1", NOW, payloads.type_ranges("host")).readings
    assert reading.value("temperature") == 92.0


def test_a_threshold_may_use_its_types_own_range():
    assert catalogue.metric_range("host", "temperature") == (-40.0, 150.0)
    assert catalogue.metric_range("co2", "temperature") == (-40.0, 85.0)
    assert catalogue.metric_range("meter", "power_w") == (0.0, 100_000.0)
