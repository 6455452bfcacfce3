"""The processor's /metrics: its Counters (received, stored, dropped by reason …), batch histograms, and acks
the broker still waits for. Read at scrape time from what the processor counts anyway."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from processor.counters import Counters

# Counters with a metric of their own; every other counter is `smartair_processor_events_total{name=…}`.
_NAMED = {
    "messages": ("smartair_processor_messages_received", "MQTT messages received"),
    "readings": ("smartair_processor_readings_received", "Readings parsed from telemetry messages"),
    "stored": ("smartair_processor_readings_stored", "Readings stored (new rows)"),
}
_DROPPED = "dropped_"


class ProcessorCollector(Collector):
    def __init__(
        self, counters: Counters, acks_pending: Callable[[], int], connected: Callable[[], bool]
    ) -> None:
        self._counters = counters
        self._acks_pending = acks_pending
        self._connected = connected

    def collect(self) -> Iterator[Metric]:
        values = dict(self._counters.values)
        for key, (name, documentation) in _NAMED.items():
            yield CounterMetricFamily(name, documentation, value=values.pop(key, 0))
        dropped = CounterMetricFamily(
            "smartair_processor_messages_dropped", "Messages dropped, by reason", labels=["reason"]
        )
        others = CounterMetricFamily("smartair_processor_events", "Other processor counters", labels=["name"])
        values.pop("dropped", None)  # the sum of the reasons
        for name, value in sorted(values.items()):
            if name.startswith(_DROPPED):
                dropped.add_metric([name.removeprefix(_DROPPED)], value)
            else:
                others.add_metric([name], value)
        yield dropped
        yield others
        yield GaugeMetricFamily(
            "smartair_processor_acks_pending",
            "Messages received, not yet acknowledged",
            value=self._acks_pending(),
        )
        yield GaugeMetricFamily(
            "smartair_processor_broker_connected",
            "1 while connected to the broker",
            value=int(self._connected()),
        )
        yield from self._counters.batch_rows.collect()
        yield from self._counters.commit_seconds.collect()


def processor_registry(
    counters: Counters, acks_pending: Callable[[], int], connected: Callable[[], bool]
) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(ProcessorCollector(counters, acks_pending, connected))
    return registry
