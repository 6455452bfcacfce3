"""Processors in a shared group (SPEC 10): one that leaves for good strands no share of the stream, and one
that comes back within its session's expiry gets its queue back."""

from __future__ import annotations

import time

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from sandbox.broker import Broker
from sandbox.seed import new_uid, pair_device
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher, telemetry_rows

# Test-shortened MQTT_SESSION_EXPIRY (seconds).
EXPIRY = 2


async def test_a_processor_gone_for_good_stops_taking_a_share_once_its_session_expires(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    group, leaving_id = new_uid("group"), new_uid("proc")
    leaving = await start_processor(leaving_id, shared_group=group, session_expiry=EXPIRY)
    await start_processor(shared_group=group, session_expiry=EXPIRY)
    start = int(time.time()) - 1000
    await _send(broker, uid, range(start, start + 20))
    await eventually(lambda: _stored(database_url, device_id, 20))
    assert leaving.counters.get("readings", 0) > 0  # it did take a share

    await leaving.stop()
    await eventually(lambda: _expired(broker, leaving_id))
    await _send(broker, uid, range(start + 20, start + 220))

    rows = await eventually(lambda: _stored(database_url, device_id, 220))
    assert [int(row["ts"].timestamp()) for row in rows] == list(range(start, start + 220))


async def test_a_processor_back_within_the_expiry_stores_what_was_queued_for_it(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    group, restarted_id = new_uid("group"), new_uid("proc")
    restarted = await start_processor(restarted_id, shared_group=group)
    await start_processor(shared_group=group)
    await restarted.stop()
    start = int(time.time()) - 1000
    await _send(broker, uid, range(start, start + 200))

    back = await start_processor(restarted_id, shared_group=group)
    rows = await eventually(lambda: _stored(database_url, device_id, 200))
    assert [int(row["ts"].timestamp()) for row in rows] == list(range(start, start + 200))
    assert back.counters.get("readings", 0) > 0  # its queued share, not only what came after


async def test_a_lone_processor_keeps_its_queue_beyond_the_shared_group_expiry(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    lone_id = new_uid("proc")
    lone = await start_processor(lone_id, session_expiry=EXPIRY)
    await lone.stop()
    start = int(time.time()) - 1000
    await _send(broker, uid, range(start, start + 50))
    # A clock: a session with the same expiry, opened after the processor left, has expired.
    await _leave_session(broker, clock := new_uid("clock"), EXPIRY)
    await eventually(lambda: _expired(broker, clock))

    await start_processor(lone_id, session_expiry=EXPIRY)
    rows = await eventually(lambda: _stored(database_url, device_id, 50))
    assert [int(row["ts"].timestamp()) for row in rows] == list(range(start, start + 50))


async def _send(broker: Broker, uid: str, timestamps: range) -> None:
    async with Publisher(broker) as device:
        for ts in timestamps:
            await device.send(topics.device_topic(uid, "telemetry"), {"timestamp": ts, "co2": 600})


async def _leave_session(broker: Broker, client_id: str, expiry: int) -> None:
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = expiry
    v5 = aiomqtt.ProtocolVersion.V5
    credentials = broker.credentials
    async with aiomqtt.Client(
        broker.host, broker.port, identifier=client_id, protocol=v5, properties=properties, **credentials
    ):
        pass


async def _expired(broker: Broker, client_id: str) -> bool:
    return f"Expiring client {client_id} due to timeout" in broker.log_text()


async def _stored(database_url: str, device_id: int, count: int):
    rows = await telemetry_rows(database_url, device_id)
    return rows if len(rows) >= count else None
