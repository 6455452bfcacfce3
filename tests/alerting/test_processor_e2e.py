"""End to end: readings and Last Wills over Mosquitto, through `python -m processor`, to outbox rows."""

from __future__ import annotations

import secrets
import time

from sqlalchemy import text

from core import topics
from core.services import settings
from sandbox.broker import Broker
from sandbox.seed import Sessions, make_user, pair_device, share
from tests.alerting.helpers import outbox_of
from tests.kit.fixtures import Processors
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher


async def test_a_published_crossing_reaches_the_outbox_of_every_subscriber_and_so_do_offline_and_online(
    processors: Processors, broker: Broker, sessionmaker: Sessions
) -> None:
    processor = processors()
    owner, viewer, quiet = [await make_user(sessionmaker) for _ in range(3)]
    uid = f"e2e-{secrets.token_hex(4)}"
    device = await pair_device(sessionmaker, owner_id=owner, uid=uid)
    await share(sessionmaker, viewer, device)
    await share(sessionmaker, quiet, device, notifications=False)
    processor.start()
    await processor.ready()

    async def notices(user: int, count: int) -> list[str] | None:
        types = [row.payload["alert_type"] for row in await outbox_of(sessionmaker, user)]
        return types if len(types) >= count else None

    now = int(time.time())
    async with Publisher(broker) as mqtt:
        telemetry = topics.device_topic(uid, "telemetry")
        # Beyond 1000 ppm for 70 s (held longer than H = 60 s), sent as the device's backlog of two readings.
        await mqtt.send(telemetry, [{"timestamp": now - 70, "co2": 1500}, {"timestamp": now, "co2": 1600}])
        for user in (owner, viewer):
            assert await eventually(lambda user=user: notices(user, 1)) == ["co2_high"]
        (fired,) = await outbox_of(sessionmaker, owner)
        assert (fired.payload["value"], fired.payload["threshold"]) == (1600, 1000)

        await mqtt.send(telemetry, {"timestamp": now + 1, "co2": 700})
        assert await eventually(lambda: notices(owner, 2)) == ["co2_high", "co2_normal"]

        # The broker publishes the device's Last Will; the processor's sweep notices within seconds.
        await mqtt.send(topics.device_topic(uid, "status"), {"status": "offline"}, retain=True)
        assert (await eventually(lambda: notices(owner, 3)))[-1] == "device_offline"
        await mqtt.send(telemetry, {"co2": 650})
        assert (await eventually(lambda: notices(owner, 4)))[-1] == "device_online"
        await mqtt.send(topics.device_topic(uid, "status"), {"status": "online"}, retain=True)

    assert await notices(viewer, 4) == ["co2_high", "co2_normal", "device_offline", "device_online"]
    assert await outbox_of(sessionmaker, quiet) == []
    assert await processor.stop() == 0


async def _co2_state_is(sessions: Sessions, device: int, expected: str) -> bool:
    async with sessions() as session:
        state = await session.scalar(
            text(
                "SELECT s.state FROM alert_states s JOIN alert_rules r ON r.id = s.rule_id "
                "WHERE r.device_id = :device AND r.metric = 'co2' AND r.direction = 'above'"
            ),
            {"device": device},
        )
    return state == expected


async def test_processor_killed_mid_alert_neither_repeats_nor_loses_it(
    processors: Processors, broker: Broker, sessionmaker: Sessions
) -> None:
    processor = processors()
    owner = await make_user(sessionmaker)
    uid = f"e2e-{secrets.token_hex(4)}"
    device = await pair_device(sessionmaker, owner_id=owner, uid=uid)
    telemetry = topics.device_topic(uid, "telemetry")
    now = int(time.time())

    async def types() -> list[str]:
        return [row.payload["alert_type"] for row in await outbox_of(sessionmaker, owner)]

    async def restart() -> None:
        processor.kill()
        processor.start()
        await processor.ready()

    processor.start()
    await processor.ready()
    async with Publisher(broker) as mqtt:
        await mqtt.send(telemetry, {"timestamp": now - 100, "co2": 1500})  # the hold time starts
        await eventually(lambda: _co2_state_is(sessionmaker, device, "pending"))
        await restart()
        await mqtt.send(telemetry, {"timestamp": now - 30, "co2": 1500})  # 70 s beyond: fires
        await eventually(lambda: _co2_state_is(sessionmaker, device, "firing"))
        await restart()
        await mqtt.send(telemetry, {"timestamp": now - 20, "co2": 1700})  # still firing: nothing new
        await mqtt.send(telemetry, {"timestamp": now - 10, "co2": 700})  # recovers
        await eventually(lambda: _co2_state_is(sessionmaker, device, "ok"))
    assert await types() == ["co2_high", "co2_normal"]
    assert await processor.stop() == 0


async def test_a_threshold_changed_in_settings_applies_to_the_next_reading_the_processor_gets(
    processors: Processors, broker: Broker, sessionmaker: Sessions
) -> None:
    """The processor keeps rules in memory: a change must reach it (ALERTING_CHANGED) before new readings."""
    processor = processors()
    owner = await make_user(sessionmaker)
    uid = f"e2e-{secrets.token_hex(4)}"
    device = await pair_device(sessionmaker, owner_id=owner, uid=uid)
    processor.start()
    await processor.ready()

    async def notices(count: int) -> list[tuple[str, float]] | None:
        rows = await outbox_of(sessionmaker, owner)
        found = [(row.payload["alert_type"], row.payload["threshold"]) for row in rows]
        return found if len(found) >= count else None

    start = int(time.time()) - 300
    async with Publisher(broker) as mqtt:
        telemetry = topics.device_topic(uid, "telemetry")
        await mqtt.send(
            telemetry, [{"timestamp": start, "co2": 1500}, {"timestamp": start + 70, "co2": 1600}]
        )
        await mqtt.send(telemetry, {"timestamp": start + 80, "co2": 700})
        assert await eventually(lambda: notices(2)) == [("co2_high", 1000), ("co2_normal", 1000)]
        async with sessionmaker() as session:
            (co2,) = [
                rule for rule in (await settings.load(session, owner, device)).rules if rule.metric == "co2"
            ]
            await settings.set_rule_level(
                session, owner, device, co2.id, level=settings.Level.THRESHOLD, value=1800
            )
        # 70 s beyond the old threshold only: nothing; then 70 s beyond the new one: fires, saying 1800.
        await mqtt.send(
            telemetry, [{"timestamp": start + 90, "co2": 1500}, {"timestamp": start + 160, "co2": 1600}]
        )
        await mqtt.send(
            telemetry, [{"timestamp": start + 170, "co2": 1900}, {"timestamp": start + 240, "co2": 1950}]
        )
        assert await eventually(lambda: notices(3)) == [
            ("co2_high", 1000),
            ("co2_normal", 1000),
            ("co2_high", 1800),
        ]
    assert await processor.stop() == 0
