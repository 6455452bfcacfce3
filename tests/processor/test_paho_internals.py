"""The fenced paho fast path: it hands over every message intact, its private names still exist on the
pinned paho, it turns itself off on another paho, and ingest works the same with it switched off."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from importlib import metadata

import aiomqtt
import paho.mqtt.client as paho
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from core.settings import MqttSettings
from processor import mqtt, paho_internals
from processor.acks import Acknowledger
from sandbox.broker import Broker
from sandbox.seed import new_uid, pair_device
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher, telemetry_rows


async def test_a_burst_of_mixed_messages_with_mqtt5_properties_arrives_complete_and_in_order(broker: Broker):
    topic = f"smartair/test/{secrets.token_hex(4)}"
    settings = _settings(broker, "tuning")
    client, inbox = mqtt.make_client(settings, fast_path=True)
    acknowledger = Acknowledger()
    acknowledger.attach(client)
    # Sizes chosen so packets straddle the 64 KiB reads: tiny, mid-sized, and larger than one read.
    sent = [
        (secrets.token_bytes(size), qos)
        for size in (0, 1, 127, 128, 16_383, 16_384, 70_000) * 60
        for qos in (0, 1)
    ]
    received: list[mqtt.Received] = []
    async with aiomqtt.Client(broker.host, broker.port, **broker.credentials) as publisher:
        await publisher.publish(topic, b"retained", qos=1, retain=True)
    async with client:
        await client.subscribe(topic, qos=1)  # the retained message comes first, flagged as retained
        v5 = aiomqtt.ProtocolVersion.V5
        async with aiomqtt.Client(broker.host, broker.port, protocol=v5, **broker.credentials) as publisher:
            for index, (payload, qos) in enumerate(sent):
                # The broker passes a publisher's MQTT 5 properties on, between packet id and payload.
                await publisher.publish(topic, payload, qos=qos, properties=_properties(index))

        async def collect() -> None:
            async for first in client.messages:
                received.extend(inbox.drain(first))
                if len(received) >= len(sent) + 1:
                    return

        await asyncio.wait_for(collect(), 60)
        assert (
            acknowledger.ack_many(_Ticket(acknowledger.generation, [m.mid], m.qos) for m in received)
            == sum(qos for _, qos in sent) + 1
        )
        await mqtt.barrier(client)
        await client.publish(topic, b"", qos=1, retain=True)  # clear the retained message

    assert (received[0].payload, received[0].retain) == (b"retained", True)
    assert [(m.payload, m.qos) for m in received[1:]] == sent
    assert all(m.topic == topic and not m.retain for m in received[1:])
    assert len({m.mid for m in received if m.qos == 1}) > 1


async def test_messages_a_read_cuts_in_two_still_take_the_fast_path_when_the_rest_is_there(
    broker: Broker, monkeypatch: pytest.MonkeyPatch
):
    # Reads of 500 bytes cut every third or fourth of these ~140-byte packets; a backlog queued for a
    # persistent session arrives at once, so the rest of a cut packet is already in the kernel.
    monkeypatch.setattr(paho_internals, "CHUNK", 500)
    topic = f"smartair/test/{secrets.token_hex(4)}"
    settings = _settings(broker, "cut")
    client, _ = mqtt.make_client(settings, fast_path=True)
    async with client:
        await client.subscribe(topic, qos=1)
    sent = [b"%05d" % index + secrets.token_bytes(100) for index in range(2000)]
    async with aiomqtt.Client(broker.host, broker.port, **broker.credentials) as publisher:
        for payload in sent:
            await publisher.publish(topic, payload, qos=1)

    client, _ = mqtt.make_client(settings, fast_path=True)
    acknowledger = Acknowledger()
    acknowledger.attach(client)
    fast: list[mqtt.Received] = []
    slow: list[aiomqtt.Message] = []
    async with client:

        async def collect() -> None:
            async for arrival in client.messages:
                if isinstance(arrival, list):
                    fast.extend(arrival)
                else:
                    slow.append(arrival)
                if len(fast) + len(slow) >= len(sent):
                    return

        await asyncio.wait_for(collect(), 60)
        acknowledger.ack_many(_Ticket(acknowledger.generation, [m.mid], 1) for m in fast)
        for message in slow:
            acknowledger.ack_many([_Ticket(acknowledger.generation, [message.mid], 1)])
        await mqtt.barrier(client)

    assert sorted([m.payload for m in fast] + [bytes(m.payload) for m in slow]) == sent  # type: ignore[arg-type]
    # Before, each cut packet went through paho's own decoding: a quarter of these messages.
    assert slow == [], f"{len(slow)} of {len(sent)} took paho's slow path"


def _settings(broker: Broker, name: str) -> MqttSettings:
    """The processor's MQTT settings for `broker`, as a client of its own."""
    return MqttSettings.model_validate(
        {
            "MQTT_HOST": broker.host,
            "MQTT_PORT": broker.port,
            "MQTT_USERNAME": broker.username,
            "MQTT_PASSWORD": broker.password,
            "MQTT_CLIENT_ID": f"{name}-{secrets.token_hex(4)}",
        }
    )


def _properties(index: int) -> Properties | None:
    if index % 3 == 0:
        return None
    properties = Properties(PacketTypes.PUBLISH)
    properties.UserProperty = [("note", "x" * (index % 300))]  # lengths across a one- and two-byte length
    if index % 3 == 2:
        properties.ContentType = "application/json"
        properties.MessageExpiryInterval = 3600
    return properties


class _Ticket:
    def __init__(self, generation: int, mids: list[int], qos: int) -> None:
        self.generation, self.mids, self.qos = generation, mids, qos


def test_the_private_names_the_fast_path_uses_exist_with_their_shape_on_the_pinned_paho():
    # Fails on a paho upgrade: re-check processor/paho_internals.py against the new paho, then move
    # CHECKED_PAHO (and the pin in pyproject.toml) together.
    assert metadata.version("paho-mqtt") == paho_internals.CHECKED_PAHO
    assert paho_internals.shape_problems() == []
    assert paho_internals.fast_path(wanted=True)


async def test_aiomqtt_still_keeps_its_paho_client_where_manual_acks_reach_it():
    client = aiomqtt.Client("127.0.0.1", 1)
    assert isinstance(paho_internals.paho_client(client), paho.Client)


def test_an_unchecked_paho_turns_the_fast_path_off_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setattr(paho_internals, "CHECKED_PAHO", "0.0.1")
    with caplog.at_level(logging.WARNING, logger="processor.paho_internals"):
        assert not paho_internals.fast_path(wanted=True)
    assert "paho fast path off" in caplog.text and "not the checked 0.0.1" in caplog.text


async def test_with_the_fast_path_switched_off_readings_are_stored_and_acked(
    start_processor,
    broker: Broker,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
    caplog: pytest.LogCaptureFixture,
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    client_id = new_uid("proc")
    telemetry = topics.device_topic(uid, "telemetry")
    ts = int(time.time()) - 30
    with pytest.MonkeyPatch.context() as env, caplog.at_level(logging.INFO, "processor.paho_internals"):
        env.setenv("MQTT_FAST_PATH", "false")
        first = await start_processor(client_id)
        assert "paho fast path off (MQTT_FAST_PATH=false)" in caplog.text
        async with Publisher(broker) as device:
            for offset in range(20):
                await device.send(telemetry, {"timestamp": ts + offset, "co2": 700})
        await eventually(lambda: _stored(database_url, device_id, 20))
        await first.stop()

        # Acked: the same persistent session, back, gets only what is new (a redelivery would come first).
        second = await start_processor(client_id)
        async with Publisher(broker) as device:
            await device.send(telemetry, {"timestamp": ts + 20, "co2": 700})
        await eventually(lambda: _stored(database_url, device_id, 21))
        assert second.counters.get("messages") == 1


async def _stored(database_url: str, device_id: int, count: int) -> bool:
    return len(await telemetry_rows(database_url, device_id)) == count
