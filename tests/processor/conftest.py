"""Fixtures for the processor: an in-process processor factory (`python -m processor` runs come from
tests.kit.fixtures.processors)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence

import pytest

from core.settings import DatabaseSettings, MqttSettings
from core.task_stacks import task_stacks
from processor.app import Options, Processor
from processor.sinks import AfterCommit
from processor.writer import WriterOptions
from sandbox.broker import Broker
from sandbox.seed import new_uid
from tests.kit.fixtures import *  # noqa: F403 - this package gets its own database and broker
from tests.kit.wait import eventually


class Running:
    """A processor running as a task of the test's event loop."""

    def __init__(self, processor: Processor) -> None:
        self.processor = processor
        self.task = asyncio.create_task(processor.run())

    @property
    def counters(self) -> dict[str, int]:
        return dict(self.processor.counters.values)

    async def stop(self) -> None:
        self.processor.stopping.set()
        done, _ = await asyncio.wait({self.task}, timeout=30)
        if not done:
            # Where it hangs is the finding (how the lost cancel of core.retry.wait_event was found).
            stacks = task_stacks(asyncio.get_running_loop())
            raise AssertionError(f"the processor did not stop within 30 s:\n{stacks}")
        self.task.result()


@pytest.fixture
async def start_processor(database_url: str, broker: Broker) -> AsyncIterator[Callable[..., object]]:
    """Start an in-process processor (own client id unless given); connected when the call returns."""
    running: list[Running] = []

    async def start(
        client_id: str | None = None,
        sinks: Sequence[AfterCommit] = (),
        shared_group: str = "",
        session_expiry: int | None = None,
        device_budget: tuple[float, float] | None = None,
        **writer: float,
    ) -> Running:
        processor = Processor(
            DatabaseSettings(DATABASE_URL=database_url),
            MqttSettings(
                MQTT_HOST=broker.host,
                MQTT_PORT=broker.port,
                MQTT_USERNAME=broker.username,
                MQTT_PASSWORD=broker.password,
                MQTT_CLIENT_ID=client_id or new_uid("proc"),
                MQTT_SHARED_GROUP=shared_group,
                **({} if session_expiry is None else {"MQTT_SESSION_EXPIRY": session_expiry}),
            ),
            Options(
                writer=WriterOptions(**writer),  # type: ignore[arg-type]
                counters_interval=1.0,
                **_budget(device_budget),
            ),
            sinks,
        )
        run = Running(processor)
        running.append(run)
        await eventually(_connected(run))
        return run

    yield start
    for run in running:
        if not run.task.done():
            await run.stop()


def _budget(device_budget: tuple[float, float] | None) -> dict[str, float]:
    if device_budget is None:
        return {}
    rate, burst = device_budget
    return {"device_rate": rate, "device_burst": burst}


def _connected(run: Running) -> Callable[[], object]:
    async def check() -> bool:
        if run.task.done():
            run.task.result()
        return run.processor.connected

    return check
