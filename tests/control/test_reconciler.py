"""The processor's side of desired state, watched on the broker: the config document, fresh commands only,
and device events that are recorded only when they fit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.services import commands
from sandbox.broker import Broker
from sandbox.programs import ProcessorProcess
from sandbox.seed import new_uid, pair_device
from tests.device.mqtt_probe import Received, probe
from tests.kit.sql import execute, fetch
from tests.kit.wait import eventually


def _on(kind: str, uid: str) -> Callable[[Received], bool]:
    def predicate(message: Received) -> bool:
        return message.kind == kind and message.uid == uid

    return predicate


async def _result(engine: AsyncEngine, command_id: str) -> tuple[object, ...]:
    rows = await fetch(
        engine,
        "SELECT result_ok, result_at IS NOT NULL, published_at IS NOT NULL"
        " FROM device_commands WHERE id = :id",
        id=command_id,
    )
    return rows[0]


async def test_config_is_the_spec_document_retained_and_stale_commands_are_never_sent(
    broker: Broker,
    processor: ProcessorProcess,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
) -> None:
    uid = new_uid("rec")
    async with probe(broker, f"devices/{uid}/#") as server:
        device = await pair_device(sessionmaker, uid=uid)
        config = await server.wait_for(_on("config", uid))
        assert config.body == {
            "version": 1,
            "report_interval": 30,
            "alerts_enabled": True,
            "co2_threshold": 1000,
            "night_mode": None,
        }
        # A command nobody could send in time (the processor was down, say) stays unsent.
        await execute(
            engine,
            "INSERT INTO device_commands (id, device_id, command, args, created_at)"
            " VALUES ('stale-ping', :device, 'ping', '{}', :at)",
            device=device,
            at=datetime.now(UTC) - timedelta(minutes=2),
        )
        async with sessionmaker() as session:
            fresh = await commands.queue(session, device, commands.CommandName.PING)
            await session.commit()
        sent = await server.wait_for(_on("commands", uid))
        assert sent.body["id"] == fresh and sent.body["command"] == "ping" and sent.body["args"] == {}
        assert abs(sent.body["timestamp"] - datetime.now(UTC).timestamp()) < 30
        assert not sent.retain
        assert [message.body["id"] for message in server.matching(_on("commands", uid))] == [fresh]
        assert (await _result(engine, "stale-ping"))[2] is False

    async with probe(broker, f"devices/{uid}/config") as late:  # a device connecting later finds it
        retained = await late.wait_for(_on("config", uid))
        assert retained.retain and retained.body["version"] == 1


async def test_events_are_recorded_only_from_the_right_device_and_for_real_versions(
    broker: Broker,
    processor: ProcessorProcess,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
) -> None:
    uid, other = new_uid("evt"), new_uid("evt")
    device = await pair_device(sessionmaker, uid=uid)
    await pair_device(sessionmaker, uid=other)
    async with sessionmaker() as session:
        command_id = await commands.queue(session, device, commands.CommandName.PING)
        await session.commit()
    async with probe(broker) as fake:
        # Another device claiming the answer, and a confirmation of a version that was never desired.
        await fake.publish(
            f"devices/{other}/events", {"type": "command_result", "id": command_id, "ok": True}
        )
        await fake.publish(f"devices/{uid}/events", {"type": "config_applied", "version": 99})
        await fake.publish(f"devices/{uid}/events", {"type": "config_applied", "version": 1})
        await eventually(lambda: _applied_is(engine, device, 1))
        assert (await _result(engine, command_id))[:2] == (None, False)

        await fake.publish(
            f"devices/{uid}/events",
            {"type": "command_result", "id": command_id, "ok": False, "error": "busy"},
        )
        await eventually(lambda: _answered(engine, command_id))
    rows = await fetch(engine, "SELECT result_ok, result FROM device_commands WHERE id = :id", id=command_id)
    assert rows == [(False, {"error": "busy"})]


async def _applied_is(engine: AsyncEngine, device: int, version: int) -> bool:
    rows = await fetch(engine, "SELECT applied_version FROM device_configs WHERE device_id = :id", id=device)
    return rows == [(version,)]


async def _answered(engine: AsyncEngine, command_id: str) -> bool:
    return (await _result(engine, command_id))[1] is True
