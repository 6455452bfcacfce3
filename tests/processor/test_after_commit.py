"""The seam for the alert engine: committed readings are handed over once, after they are stored."""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from processor.sinks import CommittedBatch
from sandbox.broker import Broker
from sandbox.seed import new_uid, pair_device
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher, telemetry_rows


class Recorder:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.batches: list[CommittedBatch] = []
        self.stored_when_told: list[int] = []

    async def committed(self, batch: CommittedBatch) -> None:
        self.batches.append(batch)
        for item in batch.readings:
            rows = await telemetry_rows(self.database_url, item.device_id)
            self.stored_when_told.append(len(rows))


class Broken:
    async def committed(self, batch: CommittedBatch) -> None:
        raise RuntimeError("a sink with a bug")


async def test_sinks_get_each_new_reading_once_after_commit_and_a_broken_sink_stops_nothing(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    recorder = Recorder(database_url)
    await start_processor(sinks=[Broken(), recorder])
    ts = int(time.time()) - 10
    async with Publisher(broker) as device:
        telemetry = topics.device_topic(uid, "telemetry")
        await device.send(telemetry, {"timestamp": ts, "co2": 1500})
        await device.send(telemetry, {"timestamp": ts, "co2": 1500})  # redelivered duplicate
        await device.send(telemetry, {"timestamp": ts + 1, "co2": 1600})
        await device.send(topics.device_topic(uid, "events"), {"type": "config_applied", "version": 3})

    async def told() -> bool:
        return len([r for b in recorder.batches for r in b.readings]) >= 2 and any(
            b.events for b in recorder.batches
        )

    await eventually(told)
    readings = [item for batch in recorder.batches for item in batch.readings]
    assert [(item.uid, item.reading.value("co2")) for item in readings] == [(uid, 1500.0), (uid, 1600.0)]
    assert all(count >= 1 for count in recorder.stored_when_told)
    events = [item for batch in recorder.batches for item in batch.events]
    assert [(item.device_id, item.event.type) for item in events] == [(device_id, "config_applied")]
