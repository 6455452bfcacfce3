"""Broker security (SPEC section 3) with the shipped broker and a running processor: who reads and sends what.

Devices here behave as the agent does: ask anonymously with their secret, then log in as `{uid}`.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from core.models import Device, User
from core.services import devices, pairing
from sandbox.broker import Broker
from sandbox.programs import ROOT
from sandbox.seed import new_uid
from tests.kit.wait import eventually
from tests.processor.helpers import telemetry_rows

REFUSED = 128  # SUBACK: failure


def _secret() -> str:
    return secrets.token_urlsafe(32)


@asynccontextmanager
async def connected(broker: Broker, username: str | None = None, password: str | None = None):
    client = aiomqtt.Client(
        broker.host, broker.port, identifier=new_uid("c"), username=username, password=password, timeout=10
    )
    async with client:
        yield client


async def login_refused(broker: Broker, username: str, password: str) -> bool:
    try:
        async with connected(broker, username, password):
            return False
    except aiomqtt.MqttCodeError:
        return True


async def subscribe_codes(client: aiomqtt.Client, topic: str) -> list[int]:
    granted = await client.subscribe(topic, qos=1, timeout=10)
    return [int(getattr(code, "value", code)) for code in granted]


async def ask_for_code(broker: Broker, uid: str, secret: str) -> None:
    """What a new device does first: an anonymous provision request carrying its secret."""
    async with connected(broker) as anonymous:
        body = {"device_type": "co2", "firmware_version": "2.0.1", "secret": secret}
        await anonymous.publish(topics.provision_request(uid), orjson.dumps(body), qos=1, timeout=10)


@asynccontextmanager
async def as_device(
    broker: Broker, uid: str, secret: str, within: float = 20.0
) -> AsyncIterator[aiomqtt.Client]:
    """Logged in as `{uid}` (retrying while the processor is still registering the account)."""
    deadline = time.monotonic() + within
    while True:
        try:
            async with connected(broker, uid, secret) as client:
                yield client
                return
        except aiomqtt.MqttCodeError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def next_message(client: aiomqtt.Client, within: float = 15.0) -> tuple[str, dict[str, object]]:
    async with asyncio.timeout(within):
        async for message in client.messages:
            assert isinstance(message.payload, bytes)
            return message.topic.value, orjson.loads(message.payload)
    raise AssertionError("no message")


async def registered_and_pending(broker: Broker, uid: str, secret: str) -> str:
    """Ask for a code, log in as the device and read it; returns the code.

    The device can log in as soon as its account is registered, a moment before the processor publishes the
    answer: a device asking again after it was removed may first get the retained "unpaired" of its removal,
    then its "pending" (the order a real device sees them in too)."""
    await ask_for_code(broker, uid, secret)
    async with as_device(broker, uid, secret) as device:
        assert await subscribe_codes(device, topics.provision_response(uid)) == [1]
        answers = [(await next_message(device))[1]]
        while answers[-1]["status"] == "unpaired":
            answers.append((await next_message(device))[1])
    assert answers[-1]["status"] == "pending", answers
    return str(answers[-1]["code"])


async def claim(sessionmaker: async_sessionmaker[AsyncSession], code: str) -> int:
    async with sessionmaker() as session:
        user = User(telegram_id=10**12 + secrets.randbelow(10**12), first_name="Owner")
        session.add(user)
        await session.commit()
        device = await pairing.claim_code(session, user, code, datetime.now(UTC))
        return user.id if device else 0


async def test_anonymous_clients_may_only_ask_for_codes_and_subscribe_to_nothing(
    start_processor, broker: Broker
):
    await start_processor()
    async with connected(broker) as anonymous:
        for topic in ("#", "provision/+/response", "devices/+/config", "devices/x-1/commands", "$share/g/#"):
            assert await subscribe_codes(anonymous, topic) == [REFUSED], topic
    assert await login_refused(broker, "nobody", "wrong-password")


async def test_nobody_but_the_device_and_the_server_reads_a_pairing_code(start_processor, broker: Broker):
    await start_processor()
    uid, other = new_uid(), new_uid()
    other_secret = _secret()
    await registered_and_pending(broker, other, other_secret)
    code = await registered_and_pending(broker, uid, _secret())
    assert len(code) == 8
    async with as_device(broker, other, other_secret) as neighbour:
        assert await subscribe_codes(neighbour, topics.provision_response(uid)) == [REFUSED]
        assert await subscribe_codes(neighbour, "provision/+/response") == [REFUSED]


async def test_a_second_secret_for_a_registered_uid_is_ignored(start_processor, broker: Broker):
    run = await start_processor()
    uid, secret = new_uid(), _secret()
    await registered_and_pending(broker, uid, secret)
    impostor = _secret()
    await ask_for_code(broker, uid, impostor)
    await eventually(lambda: _counted(run, "provision_wrong_secret"))
    assert await login_refused(broker, uid, impostor)
    async with as_device(broker, uid, secret, within=2):
        pass  # the real device still can


async def test_a_paired_device_sends_on_its_own_topics_only(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    await start_processor()
    uid, victim = new_uid(), new_uid()
    secret, victim_secret = _secret(), _secret()
    await claim(sessionmaker, await registered_and_pending(broker, victim, victim_secret))
    await claim(sessionmaker, await registered_and_pending(broker, uid, secret))
    device_id, victim_id = await _device_id(sessionmaker, uid), await _device_id(sessionmaker, victim)
    async with (
        as_device(broker, victim, victim_secret) as victim_client,
        as_device(broker, uid, secret) as device,
    ):
        await victim_client.subscribe(topics.device_topic(victim, topics.COMMANDS), qos=1)
        await device.subscribe(topics.provision_response(uid), qos=1)
        await eventually(lambda: _answered(device, "paired"))
        assert await subscribe_codes(device, topics.device_topic(victim, topics.CONFIG)) == [REFUSED]
        assert await subscribe_codes(device, topics.device_topic(victim, topics.COMMANDS)) == [REFUSED]
        assert await subscribe_codes(device, topics.device_topic(uid, topics.CONFIG)) == [1]
        now = time.time()
        forged = orjson.dumps({"timestamp": now - 5, "co2": 9999})
        await device.publish(topics.device_topic(victim, topics.TELEMETRY), forged, qos=1, timeout=10)
        restart = b'{"id": "x", "command": "restart"}'
        await device.publish(topics.device_topic(victim, topics.COMMANDS), restart, qos=1, timeout=10)
        own = orjson.dumps({"timestamp": now, "co2": 612})
        await device.publish(topics.device_topic(uid, topics.TELEMETRY), own, qos=1, timeout=10)
        await eventually(lambda: telemetry_rows(database_url, device_id))
        # The forged reading went nowhere (the processor stored the real one, sent after it), and the
        # victim never received the forged command.
        assert await telemetry_rows(database_url, victim_id) == []
        assert await _drain(victim_client, 1.0) == []


async def test_a_removed_device_is_told_kicked_and_cannot_log_in_again(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession]
):
    await start_processor()
    uid, secret = new_uid(), _secret()
    owner_id = await claim(sessionmaker, await registered_and_pending(broker, uid, secret))
    device_id = await _device_id(sessionmaker, uid)
    async with as_device(broker, uid, secret) as device:
        await device.subscribe(topics.provision_response(uid), qos=1)
        await eventually(lambda: _answered(device, "paired"))
        async with sessionmaker() as session:
            await devices.remove(session, owner_id, device_id)
        removed_at = time.monotonic()
        _, told = await next_message(device)
        assert told == {"status": "unpaired"}
        try:
            async with asyncio.timeout(5):
                async for _ in device.messages:
                    pass
        except aiomqtt.MqttError:
            pass
        assert time.monotonic() - removed_at < 3  # disconnected promptly (SPEC: within a second)
    assert await login_refused(broker, uid, secret)
    # Going back to pairing: the same secret asks again, and gets a fresh code.
    assert len(await registered_and_pending(broker, uid, secret)) == 8


async def test_a_removal_while_the_processor_was_down_lands_at_its_start(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession]
):
    client_id = new_uid("proc")
    run = await start_processor(client_id=client_id)
    uid, secret = new_uid(), _secret()
    owner_id = await claim(sessionmaker, await registered_and_pending(broker, uid, secret))
    async with as_device(broker, uid, secret) as device:
        await device.subscribe(topics.provision_response(uid), qos=1)
        await eventually(lambda: _answered(device, "paired"))
    await run.stop()
    async with sessionmaker() as session:
        await devices.remove(session, owner_id, await _device_id(sessionmaker, uid))
    await start_processor(client_id=client_id)
    await eventually(lambda: login_refused(broker, uid, secret))


async def _device_id(sessionmaker: async_sessionmaker[AsyncSession], uid: str) -> int:
    async with sessionmaker() as session:
        device_id = await session.scalar(select(Device.id).where(Device.device_uid == uid))
    assert device_id is not None
    return device_id


async def _answered(client: aiomqtt.Client, status: str) -> bool:
    _, answer = await next_message(client)
    return answer.get("status") == status


async def _drain(client: aiomqtt.Client, seconds: float) -> list[object]:
    received: list[object] = []
    try:
        async with asyncio.timeout(seconds):
            async for message in client.messages:
                received.append(message.payload)
    except TimeoutError:
        pass
    return received


async def _counted(run: object, name: str) -> bool:
    return run.counters.get(name, 0) > 0  # type: ignore[attr-defined]


async def test_a_simulated_device_pairs_with_its_own_secret_and_pairs_again_after_removal(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
):
    await start_processor()
    prefix = new_uid("own")
    output = tmp_path / "simulator.out"
    command = [sys.executable, "-m", "device.simulate", "--devices", "1", "--interval", "1", "--provision"]
    command += ["--host", broker.host, "--port", str(broker.port), "--prefix", prefix]
    simulator = _spawn(command, output)
    try:
        uid = f"{prefix}-0001"
        first = await eventually(lambda: _code_printed(output, uid, 1), within=30)
        owner_id = await claim(sessionmaker, first)
        await eventually(lambda: _printed(output, f"{uid} paired"), within=30)
        device_id = await _device_id(sessionmaker, uid)
        async with sessionmaker() as session:
            await devices.remove(session, owner_id, device_id)
        second = await eventually(lambda: _code_printed(output, uid, 2), within=60)
        assert second != first
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)


def _spawn(command: list[str], output: Path) -> subprocess.Popen[bytes]:
    """The simulator as a device owner runs it: no account of its own (no MQTT_USERNAME)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MQTT_")}
    with output.open("wb") as sink:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)


async def _printed(path: Path, text: str) -> bool:
    return text in await asyncio.to_thread(path.read_text, errors="replace")


async def _code_printed(path: Path, uid: str, nth: int) -> str | None:
    printed = await asyncio.to_thread(path.read_text, errors="replace")
    codes = re.findall(rf"{re.escape(uid)} pairing code (\w+)", printed)
    distinct = list(dict.fromkeys(codes))
    return distinct[nth - 1] if len(distinct) >= nth else None
