"""The fleet simulator as a user runs it: real processes against the test session's Mosquitto."""

from __future__ import annotations

import signal
import time

from sandbox.broker import Broker
from tests.device.mqtt_probe import Received, probe
from tests.kit.fixtures import Spawn

UIDS = ("simt-0001", "simt-0002", "simt-0003")


def _args(broker: Broker, *extra: str) -> list[str]:
    login = ["--username", broker.username, "--password", broker.password]  # the broker plays the server
    return [
        "--host",
        broker.host,
        "--port",
        str(broker.port),
        *login,
        "--prefix",
        "simt",
        "--seed",
        "7",
        *extra,
    ]


def _is(kind: str, uid: str | None = None, status: str | None = None):  # type: ignore[no-untyped-def]
    def predicate(message: Received) -> bool:
        return (
            message.kind == kind
            and (uid is None or message.uid == uid)
            and (status is None or message.body.get("status") == status)
        )

    return predicate


def _plausible(reading: dict[str, object]) -> None:
    assert abs(float(reading["timestamp"]) - time.time()) < 30  # type: ignore[arg-type]
    assert 350 <= reading["co2"] <= 5000  # type: ignore[operator]
    assert 10 <= reading["temperature"] <= 35  # type: ignore[operator]
    assert 0 <= reading["humidity"] <= 100  # type: ignore[operator]
    assert reading["firmware_version"] == "2.0.1"
    assert isinstance(reading["uptime"], int)


async def test_each_simulated_device_goes_online_and_reports_plausible_readings(
    broker: Broker, spawn: Spawn
) -> None:
    async with probe(broker, "devices/+/telemetry") as watcher:
        spawn("device.simulate", _args(broker, "--devices", "3", "--interval", "1"))
        for uid in UIDS:
            reading = await watcher.wait_for(_is("telemetry", uid))
            _plausible(reading.body)
    # Someone who looks later (the processor after a restart) still sees each device's state: it is retained.
    async with probe(broker, "devices/+/status") as late:
        for uid in UIDS:
            status = await late.wait_for(_is("status", uid, "online"))
            assert status.retain
            assert status.body["firmware_version"] == "2.0.1"


async def test_killed_simulator_devices_go_offline_through_their_last_will(
    broker: Broker, spawn: Spawn
) -> None:
    async with probe(broker, "devices/+/status", "devices/+/telemetry") as watcher:
        simulator = spawn(
            "device.simulate", _args(broker, "--devices", "3", "--interval", "1", "--first", "11")
        )
        for uid in ("simt-0011", "simt-0012", "simt-0013"):
            await watcher.wait_for(_is("telemetry", uid))
        await simulator.stop(signal.SIGKILL)
        for uid in ("simt-0011", "simt-0012", "simt-0013"):
            will = await watcher.wait_for(_is("status", uid, "offline"), within=10)
            assert will.body["firmware_version"] == "2.0.1"
    async with probe(broker, "devices/simt-0011/status") as late:
        retained = await late.wait_for(_is("status", "simt-0011"))
        assert retained.retain and retained.body["status"] == "offline"


async def test_multiplexed_fleet_says_offline_for_every_device_on_sigterm(
    broker: Broker, spawn: Spawn
) -> None:
    uids = [f"simt-{number:04d}" for number in range(21, 26)]
    async with probe(broker, "devices/+/status", "devices/+/telemetry") as watcher:
        simulator = spawn(
            "device.simulate",
            _args(broker, "--devices", "5", "--connections", "2", "--interval", "1", "--first", "21"),
        )
        for uid in uids:
            await watcher.wait_for(_is("telemetry", uid))
        assert await simulator.stop(signal.SIGTERM) == 0
        for uid in uids:
            await watcher.wait_for(_is("status", uid, "offline"), within=5)
    assert "published" in simulator.output()


async def test_rate_mode_publishes_the_asked_rate_for_the_asked_duration(
    broker: Broker, spawn: Spawn
) -> None:
    async with probe(broker, "devices/+/telemetry") as watcher:
        simulator = spawn(
            "device.simulate",
            _args(
                broker, "--devices", "50", "--rate", "100", "--duration", "3", "--qos", "0", "--first", "100"
            ),
        )
        # --duration ends it by itself, cleanly.
        assert await simulator.wait_exit(within=20) == 0
        assert "published" in simulator.output()
        await watcher.wait_for(lambda _: len(watcher.received) >= 250, within=5)
    # 100 msg/s for 3 s, give or take the start-up tick.
    assert 250 <= len(watcher.received) <= 320
    assert len({message.uid for message in watcher.received}) == 50


async def test_provisioning_prints_the_code_the_server_sends(broker: Broker, spawn: Spawn) -> None:
    async with probe(broker, "provision/+/request") as server:
        simulator = spawn(
            "device.simulate",
            _args(broker, "--devices", "1", "--provision", "--first", "200", "--interval", "60"),
        )
        request = await server.wait_for(lambda message: message.uid == "simt-0200")
        assert request.body == {"device_type": request.body["device_type"], "firmware_version": "2.0.1"}
        assert request.body["device_type"] in ("co2", "multi")
        response = "provision/simt-0200/response"
        await server.publish(
            response, {"status": "pending", "code": "K7M2Q9XD", "expires_at": 1}, retain=True
        )
        await simulator.wait_output("simt-0200 pairing code K7M2Q9XD")
        await server.publish(response, {"status": "paired"}, retain=True)
        await simulator.wait_output("simt-0200 paired")
        await server.client.publish(response, b"", qos=1, retain=True)


async def test_simulator_reconnects_after_a_broker_restart_and_goes_on_reporting(
    broker: Broker, spawn: Spawn
) -> None:
    uids = ("simt-0301", "simt-0302")
    spawn("device.simulate", _args(broker, "--devices", "2", "--interval", "1", "--first", "301"))
    async with probe(broker, "devices/+/telemetry") as watcher:
        for uid in uids:
            await watcher.wait_for(_is("telemetry", uid))
    broker.restart()
    async with probe(broker, "devices/+/telemetry", "devices/+/status") as watcher:
        for uid in uids:
            await watcher.wait_for(_is("status", uid, "online"), within=30)
            await watcher.wait_for(_is("telemetry", uid), within=30)


async def test_simulated_device_applies_its_retained_config_and_answers_a_ping(
    broker: Broker, spawn: Spawn
) -> None:
    uid = "simt-0401"
    async with probe(broker, f"devices/{uid}/telemetry", f"devices/{uid}/events") as server:
        await server.publish(f"devices/{uid}/config", {"version": 3, "report_interval": 1}, retain=True)
        spawn("device.simulate", _args(broker, "--devices", "1", "--interval", "60", "--first", "401"))
        applied = await server.wait_for(_is("events"))
        assert applied.body == {"type": "config_applied", "version": 3}
        # Told 1 s instead of 60 s: readings follow each other about every second.
        first = await server.wait_for(_is("telemetry"))
        second = await server.wait_for(_is("telemetry"), after=server.received.index(first) + 1)
        assert second.at - first.at < 3
        await server.publish(f"devices/{uid}/commands", {"id": "p-9", "command": "ping", "args": {}})
        answer = await server.wait_for(lambda m: m.kind == "events" and m.body.get("id") == "p-9")
        assert answer.body == {"type": "command_result", "id": "p-9", "ok": True}
        await server.client.publish(f"devices/{uid}/config", b"", qos=1, retain=True)


async def test_a_newly_paired_device_sends_its_past_hour_at_each_pairing(
    broker: Broker, spawn: Spawn
) -> None:
    response = "provision/simt-0210/response"
    args = _args(
        broker, "--devices", "1", "--provision", "--backfill", "1", "--first", "210", "--interval", "60"
    )
    backlogs = lambda message: message.kind == "telemetry" and isinstance(message.body, list)  # noqa: E731
    async with probe(broker, "provision/+/request", "devices/simt-0210/telemetry") as server:
        simulator = spawn("device.simulate", args)
        await server.wait_for(_is("request", "simt-0210"))
        await server.publish(response, {"status": "paired"}, retain=True)
        await simulator.wait_output("simt-0210 paired")
        backlog = await server.wait_for(backlogs)
        stamps = [reading["timestamp"] for reading in backlog.body]
        # A reading a minute over the past hour, on whole minutes: sent again, the same rows come back.
        assert 55 <= len(stamps) <= 60
        assert all(stamp % 60 == 0 for stamp in stamps)
        assert stamps == sorted(stamps)
        assert time.time() - 3700 < stamps[0] < time.time() - 3500
        assert time.time() - 180 < stamps[-1]
        assert all(350 <= reading["co2"] <= 5000 for reading in backlog.body)
        # Removed and paired again (the server may have forgotten it): the history goes again.
        await server.publish(response, {"status": "unpaired"}, retain=True)
        await server.publish(response, {"status": "paired"}, retain=True)
        await server.wait_for(lambda _: len(server.matching(backlogs)) == 2)
        await server.client.publish(response, b"", qos=1, retain=True)
