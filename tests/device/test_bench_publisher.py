"""The benchmark's raw-socket publisher speaks MQTT a real broker accepts, with valid simulator readings."""

from __future__ import annotations

import asyncio

from bench import consumers
from bench.load import Job, run_job
from sandbox.broker import Broker
from tests.device.mqtt_probe import probe


async def test_raw_publisher_delivers_every_reading_acknowledged_and_in_order(broker: Broker) -> None:
    uids = ("rawpub-001", "rawpub-002", "rawpub-003")
    async with probe(broker, "devices/+/telemetry") as watcher:
        job = Job(broker.host, broker.port, uids, qos=1, messages=30)
        result = await asyncio.to_thread(run_job, job, 0)
        assert (result.sent, result.acked) == (30, 30)
        await watcher.wait_for(lambda _: len(watcher.received) >= 30, within=10)
    assert {message.uid for message in watcher.received} == set(uids)
    for uid in uids:
        stamps = [message.body["timestamp"] for message in watcher.received if message.uid == uid]
        assert len(stamps) == 10
        assert stamps == sorted(set(stamps))  # strictly increasing: each one a new telemetry row
    reading = watcher.received[0].body
    assert reading["firmware_version"] == "2.0.1"
    assert 350 <= reading["co2"] <= 5000


async def test_bulk_subscriber_receives_and_acknowledges_a_queued_backlog(broker: Broker) -> None:
    await consumers.open_session(broker, "bulk-test")
    job = Job(broker.host, broker.port, ("rawpub-101", "rawpub-102"), qos=1, messages=5000)
    assert (await asyncio.to_thread(run_job, job, 1)).acked == 5000
    drained = await consumers.drain_in_bulk(broker, "bulk-test", 5000, window=20)
    assert drained.messages == 5000
    # Every message was acknowledged: reconnecting to the session finds nothing left to deliver.
    assert (await consumers.drain_in_bulk(broker, "bulk-test", 1, window=1)).messages == 0
    await consumers.close_session(broker, "bulk-test")
