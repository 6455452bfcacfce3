"""The buffered reader hands over every message intact: split across reads, large, QoS 0 and 1, retained."""

from __future__ import annotations

import asyncio
import secrets

import aiomqtt

from core.settings import MqttSettings
from processor import mqtt
from processor.acks import Acknowledger
from tests.support.broker import Broker


async def test_a_burst_of_mixed_messages_arrives_complete_and_in_order(broker: Broker):
    topic = f"smartair/test/{secrets.token_hex(4)}"
    settings = MqttSettings.model_validate(
        {
            "MQTT_HOST": broker.host,
            "MQTT_PORT": broker.port,
            "MQTT_CLIENT_ID": f"tuning-{secrets.token_hex(4)}",
        }
    )
    client, inbox = mqtt.make_client(settings)
    acknowledger = Acknowledger()
    acknowledger.attach(client)
    # Sizes chosen so packets straddle the 64 KiB reads: tiny, mid-sized, and larger than one read.
    sent = [
        (secrets.token_bytes(size), qos)
        for size in (0, 1, 127, 128, 16_383, 16_384, 70_000) * 60
        for qos in (0, 1)
    ]
    received: list[aiomqtt.Message] = []
    async with aiomqtt.Client(broker.host, broker.port) as publisher:
        await publisher.publish(topic, b"retained", qos=1, retain=True)
    async with client:
        await client.subscribe(topic, qos=1)  # the retained message comes first, flagged as retained
        async with aiomqtt.Client(broker.host, broker.port) as publisher:
            for payload, qos in sent:
                await publisher.publish(topic, payload, qos=qos)

        async def collect() -> None:
            async for message in client.messages:
                received.append(message)
                received.extend(inbox.drain())
                if len(received) >= len(sent) + 1:
                    return

        await asyncio.wait_for(collect(), 60)
        assert (
            acknowledger.ack_many(_Ticket(acknowledger.generation, m.mid, m.qos) for m in received)
            == sum(qos for _, qos in sent) + 1
        )
        await mqtt.barrier(client)
        await client.publish(topic, b"", qos=1, retain=True)  # clear the retained message

    assert (received[0].payload, received[0].retain) == (b"retained", True)
    assert [(m.payload, m.qos) for m in received[1:]] == sent
    assert all(m.topic.value == topic and not m.retain for m in received[1:])
    assert len({m.mid for m in received if m.qos == 1}) > 1


class _Ticket:
    def __init__(self, generation: int, mid: int, qos: int) -> None:
        self.generation, self.mid, self.qos = generation, mid, qos
