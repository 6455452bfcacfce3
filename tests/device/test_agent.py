"""The device agent end to end: `python -m device` with a simulated sensor against a real Mosquitto.

The test plays the server's part over MQTT (retained config, commands, provisioning responses), so no
processor is needed.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sqlite3
import time
from pathlib import Path

from core.services.broker_access import Access
from sandbox.broker import Broker
from tests.device.mqtt_probe import Received, probe
from tests.kit.agent import agent_config
from tests.kit.device_accounts import grant
from tests.kit.fixtures import Spawn


def _kind(kind: str, **fields: object):  # type: ignore[no-untyped-def]
    def predicate(message: Received) -> bool:
        body = message.body
        return message.kind == kind and all(
            isinstance(body, dict) and body.get(key) == value for key, value in fields.items()
        )

    return predicate


def _single_reading(message: Received) -> bool:
    return message.kind == "telemetry" and isinstance(message.body, dict)


async def test_agent_applies_the_retained_config_and_confirms_it(
    broker: Broker, spawn: Spawn, tmp_path: Path
) -> None:
    uid = "agent-config"
    async with probe(broker, f"devices/{uid}/#") as server:
        # The config was published while the device was off: it is retained and waits for it.
        await server.publish(f"devices/{uid}/config", {"version": 7, "report_interval": 1}, retain=True)
        spawn("device", ["--config", str(agent_config(tmp_path, broker.port, uid=uid, report_interval=30))])
        applied = await server.wait_for(_kind("events", type="config_applied"))
        assert applied.body == {"type": "config_applied", "version": 7}
        online = await server.wait_for(_kind("status", status="online"))
        assert online.body["firmware_version"] == "2.0.1"
        # Configured 30 s, told 1 s by the server: readings now come about every second.
        first = await server.wait_for(_single_reading)
        later = await server.wait_for(_single_reading, after=server.received.index(first) + 1)
        assert later.at - first.at < 3
        await server.client.publish(f"devices/{uid}/config", b"", qos=1, retain=True)


async def test_ping_and_restart_are_answered_and_the_agent_comes_back(
    broker: Broker, spawn: Spawn, tmp_path: Path
) -> None:
    uid = "agent-commands"
    async with probe(broker, f"devices/{uid}/#") as server:
        spawn("device", ["--config", str(agent_config(tmp_path, broker.port, uid=uid, report_interval=1))])
        await server.wait_for(_single_reading)
        await server.publish(f"devices/{uid}/commands", {"id": "p-1", "command": "ping", "args": {}})
        pong = await server.wait_for(_kind("events", type="command_result", id="p-1"))
        assert pong.body["ok"] is True

        await server.publish(f"devices/{uid}/commands", {"id": "r-1", "command": "restart", "args": {}})
        answer = await server.wait_for(_kind("events", type="command_result", id="r-1"))
        assert answer.body["ok"] is True
        after = len(server.received)
        back = await server.wait_for(_kind("status", status="online"), after=after)
        fresh = await server.wait_for(_single_reading, after=server.received.index(back))
        assert fresh.body["uptime"] <= 1  # a new process, counting from zero
        # A restart is not an outage: no offline status was published on the way.
        assert not server.matching(_kind("status", status="offline"))

        await server.publish(f"devices/{uid}/commands", {"id": "x-1", "command": "dance", "args": {}})
        refused = await server.wait_for(_kind("events", type="command_result", id="x-1"))
        assert refused.body["ok"] is False


async def test_live_reports_every_five_seconds_then_returns_to_the_interval(
    broker: Broker, spawn: Spawn, tmp_path: Path
) -> None:
    uid = "agent-live"
    async with probe(broker, f"devices/{uid}/#") as server:
        spawn("device", ["--config", str(agent_config(tmp_path, broker.port, uid=uid, report_interval=9))])
        first = await server.wait_for(_single_reading)
        live = {"id": "l-1", "command": "live", "args": {"duration": 6}}
        await server.publish(f"devices/{uid}/commands", live)
        assert (await server.wait_for(_kind("events", id="l-1"))).body["ok"] is True
        readings = [first]
        for _ in range(3):
            after = server.received.index(readings[-1]) + 1
            readings.append(await server.wait_for(_single_reading, after=after, within=15))
        gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(readings)]
        # Two fast reports while live lasts (6 s), then the configured 9 s again.
        assert 4.0 <= gaps[0] <= 6.0
        assert 4.0 <= gaps[1] <= 6.0
        assert 8.0 <= gaps[2] <= 10.5


async def test_readings_taken_while_the_broker_is_down_arrive_afterwards_as_one_array(
    broker: Broker, spawn: Spawn, tmp_path: Path
) -> None:
    uid = "agent-outage"
    config = agent_config(tmp_path, broker.port, uid=uid, report_interval=1)
    # A persistent session: the broker keeps for the test what arrives while it reconnects.
    async with probe(
        broker, f"devices/{uid}/telemetry", identifier="outage-watcher", clean_session=False
    ) as server:
        spawn("device", ["--config", str(config)])
        await server.wait_for(_single_reading)
    broker.stop()
    outage_started = time.time()
    await _wait_buffered(tmp_path / "buffer.sqlite3", at_least=3)
    outage_ended = time.time()
    broker.start()
    async with probe(broker, identifier="outage-watcher", clean_session=False) as server:
        backlog = await server.wait_for(lambda message: isinstance(message.body, list), within=20)
    stamps = [reading["timestamp"] for reading in backlog.body]
    assert len(stamps) >= 3
    assert stamps == sorted(stamps)
    assert all(outage_started - 1 <= stamp <= outage_ended + 2 for stamp in stamps[:3])
    assert {"co2", "temperature", "humidity"} <= set(backlog.body[0])
    await _wait_buffered(tmp_path / "buffer.sqlite3", at_most=0)


async def test_unpaired_agent_prints_the_code_and_starts_reporting_once_paired(
    broker: Broker, spawn: Spawn, tmp_path: Path
) -> None:
    uid = "agent-pairing"
    response_topic = f"provision/{uid}/response"
    async with probe(broker, f"provision/{uid}/request", f"devices/{uid}/telemetry") as server:
        config = agent_config(tmp_path, broker.port, uid=uid, report_interval=1, pairing=True)
        agent = spawn("device", ["--config", str(config)])
        request = await server.wait_for(_kind("request"))
        secret = request.body.pop("secret")
        assert request.body == {"device_type": "co2", "firmware_version": "2.0.1"}
        assert re.fullmatch(r"[A-Za-z0-9_-]{22,128}", secret)
        # What the processor does with the request: an account for {uid}, allowed to read its answers.
        await grant(broker, uid, secret, Access.PENDING)
        pending = {"status": "pending", "code": "K7M2Q9XD", "expires_at": int(time.time()) + 900}
        await server.publish(response_topic, pending, retain=True)
        await agent.wait_output("K7M2Q9XD")
        # Unpaired, the device sends nothing the server would have to drop.
        assert not server.matching(_single_reading)
        await grant(broker, uid, secret, Access.PAIRED)
        await server.publish(response_topic, {"status": "paired"}, retain=True)
        await agent.wait_output(f"{uid} paired")
        await server.wait_for(_single_reading)
        await server.client.publish(response_topic, b"", qos=1, retain=True)


async def _wait_buffered(path: Path, *, at_least: int = 0, at_most: int | None = None) -> None:
    deadline = time.monotonic() + 20
    while True:
        with sqlite3.connect(path) as db:
            count = db.execute("SELECT count(*) FROM readings").fetchone()[0]
        if count >= at_least and (at_most is None or count <= at_most):
            return
        assert time.monotonic() < deadline, f"buffer holds {count} readings"
        await asyncio.sleep(0.2)


async def test_agent_that_forgot_its_pairing_goes_on_when_the_server_says_it_is_owned(
    broker: Broker, spawn: Spawn, tmp_path: Path
) -> None:
    uid = "agent-owned"
    response_topic = f"provision/{uid}/response"
    async with probe(broker, f"provision/{uid}/request", f"devices/{uid}/telemetry") as server:
        config = agent_config(tmp_path, broker.port, uid=uid, report_interval=1, pairing=True)
        agent = spawn("device", ["--config", str(config)])
        request = await server.wait_for(_kind("request"))
        await grant(broker, uid, request.body["secret"], Access.PAIRED)
        await server.publish(response_topic, {"status": "refused", "reason": "owned"}, retain=True)
        await agent.wait_output(f"{uid} paired")
        await server.wait_for(_single_reading)
        await server.client.publish(response_topic, b"", qos=1, retain=True)
