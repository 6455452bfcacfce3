"""A computer paired over HTTP never connects to MQTT, so nothing is published for it (SPEC 3a): no retained
config, no pairing answer, no command; its settings are applied on the server; an MQTT request for an
agent's uid is ignored. Watched on the real broker, with the real `python -m processor`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics, transport
from core.services import commands, settings
from sandbox.broker import Broker
from sandbox.seed import new_uid, pair_device
from tests.agents.test_http_agents import pair_host
from tests.device.mqtt_probe import Received, probe
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher, fetch

Sessions = async_sessionmaker[AsyncSession]
# Everything the server ever retains for a device (SPEC 3): config, firmware, pairing answers; and commands.
SERVER_TOPICS = ("devices/+/config", "devices/+/ota", "devices/+/commands", "provision/+/response")


def _about(uid: str, kind: str) -> Callable[[Received], bool]:
    return lambda message: message.uid == uid and message.kind == kind


async def test_a_host_paired_over_http_gets_no_retained_config_and_no_pairing_answer(
    processor_url: str, sessionmaker: Sessions, broker: Broker, database_url: str
):
    uid, _token, device_id = await pair_host(processor_url, sessionmaker)
    (owner,) = await fetch(database_url, "SELECT user_id FROM user_devices WHERE device_id = $1", device_id)
    async with sessionmaker() as session:
        change = await settings.set_alerts(session, owner["user_id"], device_id, False)
    assert change.version is None  # saved, with nothing to wait for
    (config,) = await fetch(
        database_url, "SELECT alerts_enabled, version FROM device_configs WHERE device_id = $1", device_id
    )
    assert (config["alerts_enabled"], config["version"]) == (False, 1)
    async with sessionmaker() as session:
        with pytest.raises(transport.MqttOnly):
            await commands.request(session, owner["user_id"], device_id, commands.CommandName.PING)

    # An MQTT device paired after it: its config and its "paired" answer come in the same rounds as the
    # host's would, or later (configs go out in device order), so once they are retained the host's would be.
    marker = new_uid("mqtt")
    await pair_device(sessionmaker, uid=marker)
    async with probe(broker, *SERVER_TOPICS) as server:
        await server.wait_for(_about(marker, "config"))
        await server.wait_for(_about(marker, "response"))
        assert [message.topic for message in server.received if message.uid == uid] == []


async def test_an_mqtt_pairing_request_for_an_agents_uid_is_ignored(
    processor_url: str, broker: Broker, database_url: str
):
    posing = transport.AGENT_UID_PREFIX + new_uid("posing")
    honest = new_uid("honest")
    async with probe(broker, "provision/+/response") as server, Publisher(broker) as device:
        # Answered in the order asked: once the second is answered, the first had its turn.
        await device.send(topics.provision_request(posing), {"device_type": "host"})
        await device.send(topics.provision_request(honest), {"device_type": "co2"})
        answer = await server.wait_for(_about(honest, "response"))
        assert answer.body["status"] == "pending"
        assert server.matching(lambda message: message.uid == posing) == []
    assert await fetch(database_url, "SELECT id FROM devices WHERE device_uid = $1", posing) == []


async def test_retained_messages_an_older_processor_left_for_an_agent_are_cleared_when_a_processor_starts(
    start_processor, sessionmaker: Sessions, broker: Broker
):
    agent = transport.AGENT_UID_PREFIX + new_uid("old")
    await pair_device(sessionmaker, uid=agent, device_type="host")
    leftovers = [
        topics.device_topic(agent, topics.CONFIG),
        topics.device_topic(agent, topics.OTA),
        topics.provision_response(agent),
    ]
    async with Publisher(broker) as old_processor:  # what processors before bfd3502 retained for it
        for topic in leftovers:
            await old_processor.send(topic, {"status": "paired", "version": 1}, retain=True)
    assert sorted(await _retained(broker, leftovers)) == sorted(leftovers)

    await start_processor()
    await eventually(lambda: _nothing_retained(broker, leftovers))


async def _retained(broker: Broker, wanted: list[str]) -> list[str]:
    """Which of `wanted` hold a retained message: a marker's retained message, subscribed last in the same
    SUBSCRIBE, arrives after theirs."""
    marker = f"smartair/test/{new_uid('marker')}"
    async with Publisher(broker) as publisher:
        await publisher.send(marker, {"marker": True}, retain=True)
    try:
        async with probe(broker, *wanted, marker) as server:
            await server.wait_for(lambda message: message.topic == marker)
            return [message.topic for message in server.received if message.topic in wanted]
    finally:
        async with Publisher(broker) as publisher:
            await publisher.send(marker, b"", retain=True)


async def _nothing_retained(broker: Broker, wanted: list[str]) -> bool:
    return await _retained(broker, wanted) == []
