"""`python -m processor`: settings from the environment, key=value logs, exit 0 on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from pathlib import Path

from prometheus_client.registry import Collector

from core import web
from core.monitoring.watch import watch
from core.settings import (
    DatabaseSettings,
    FirmwareSettings,
    GeneralSettings,
    HttpSettings,
    MqttSettings,
    OperatorSettings,
    PresenceSettings,
    load,
)
from core.supervisor import Supervisor
from processor.app import Options, Processor
from processor.clickhouse_export import ExportCollector, exporting
from processor.clickhouse_spool import SpoolFile
from processor.metrics import processor_registry
from processor.sinks import AfterCommit


async def _main(
    database: DatabaseSettings,
    broker: MqttSettings,
    http: HttpSettings,
    *,
    operators: OperatorSettings,
    general: GeneralSettings,
    firmware: FirmwareSettings,
    presence: PresenceSettings,
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        sinks: list[AfterCommit] = []
        metrics: list[Collector] = []
        if general.clickhouse_url:
            spool_file = SpoolFile.open(Path(general.clickhouse_spool_dir), broker.mqtt_client_id)
            export = await stack.enter_async_context(exporting(general.clickhouse_url, spool_file=spool_file))
            sinks.append(export)
            metrics.append(ExportCollector(export))
        processor = Processor(
            database,
            broker,
            Options(
                min_silence=presence.min_silence,
                stop_deadline=general.stop_deadline,
                command_ttl=general.command_ttl,
            ),
            sinks=sinks,
            public_url=http.public_url,
            firmware_dir=firmware.firmware_dir,
        )
        await _serve(processor, http, operators, metrics)


async def _serve(
    processor: Processor, http: HttpSettings, operators: OperatorSettings, metrics: list[Collector]
) -> None:
    processor.install_signal_handlers()
    app = web.new_app()
    processor.add_routes(app)
    registry = processor_registry(
        processor.counters, lambda: processor.acks_pending, lambda: processor.connected
    )
    for collector in metrics:
        registry.register(collector)

    async def broker_connected() -> bool:
        return processor.connected

    web.add_health_check(app, "broker", broker_connected)
    async with Supervisor("processor_monitoring") as tasks:
        watch(
            "processor",
            app,
            tasks=tasks,
            engine=processor.engine,
            sessionmaker=processor.sessionmaker,
            operators=operators.operators,
            registry=registry,
        )
        async with web.serving(app, http.processor_http_port):
            await processor.run()


def main() -> None:
    database, broker, http = load(DatabaseSettings), load(MqttSettings), load(HttpSettings)
    operators, general, firmware = load(OperatorSettings), load(GeneralSettings), load(FirmwareSettings)
    presence = load(PresenceSettings)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
    )
    # paho logs every packet at DEBUG and aiomqtt repeats connection errors we already report.
    logging.getLogger("mqtt").setLevel(logging.WARNING)
    _tune_collector()
    asyncio.run(
        _main(
            database,
            broker,
            http,
            operators=operators,
            general=general,
            firmware=firmware,
            presence=presence,
        )
    )


# Young objects between two collections of the youngest generation (CPython's default: 700).
GC_YOUNG_THRESHOLD = 50_000


def _tune_collector() -> None:
    """Ingest makes a few container objects per reading (rows, readings) and holds thousands of them until
    their batch commits: with the default threshold the collector ran every few hundred messages and moved
    them all up the generations, ~40 % of the hot path's CPU (bench/ingest_findings.md). A larger young
    generation sees most of them freed before it is collected. (What the start loaded is frozen out of the
    collections once the processor runs: processor.app.)"""
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


if __name__ == "__main__":
    main()
