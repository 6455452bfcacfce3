"""Provisioning (SPEC sections 3-4): a device asks, gets a code valid 15 minutes, learns it was paired."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import aiomqtt
import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from core.models import User
from core.services import pairing
from sandbox.broker import Broker
from sandbox.seed import new_uid, pair_device
from tests.kit.wait import eventually
from tests.processor.helpers import Publisher, fetch, telemetry_rows

CROCKFORD_CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{8}$")


@asynccontextmanager
async def responses(broker: Broker, uid: str) -> AsyncIterator[aiomqtt.Client]:
    """A device listening on its provision/{uid}/response topic."""
    async with aiomqtt.Client(
        broker.host, broker.port, identifier=new_uid("dev"), **broker.credentials
    ) as client:
        await client.subscribe(topics.provision_response(uid), qos=1)
        yield client


async def next_answer(client: aiomqtt.Client, within: float = 15.0) -> dict[str, object]:
    async with asyncio.timeout(within):
        async for message in client.messages:
            assert isinstance(message.payload, bytes)
            return orjson.loads(message.payload)
    raise AssertionError("no answer")


async def _claim(sessionmaker: async_sessionmaker[AsyncSession], code: str) -> None:
    async with sessionmaker() as session:
        user = User(telegram_id=10**12 + secrets.randbelow(10**12), first_name="Owner")
        session.add(user)
        await session.commit()
        await pairing.claim_code(session, user, code.lower()[:4] + "-" + code[4:], datetime.now(UTC))


async def test_request_gets_an_eight_character_code_valid_fifteen_minutes_then_the_same_code(
    start_processor, broker: Broker
):
    uid = new_uid()
    await start_processor()
    async with responses(broker, uid) as device, Publisher(broker) as sender:
        asked = time.time()
        await sender.send(topics.provision_request(uid), {"device_type": "co2", "firmware_version": "2.0.1"})
        first = await next_answer(device)
        assert first["status"] == "pending"
        assert CROCKFORD_CODE.match(str(first["code"]))
        assert asked + 15 * 60 - 5 <= int(first["expires_at"]) <= time.time() + 15 * 60 + 1  # type: ignore[call-overload]

        await sender.send(topics.provision_request(uid), {"device_type": "co2"})
        again = await next_answer(device)
        assert again == first


async def test_claimed_code_is_announced_as_paired_and_the_device_may_then_report(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    run = await start_processor()
    async with responses(broker, uid) as device, Publisher(broker) as sender:
        await sender.send(topics.provision_request(uid), {"device_type": "multi"})
        offer = await next_answer(device)
        await _claim(sessionmaker, str(offer["code"]))
        assert await next_answer(device) == {"status": "paired"}

        await sender.send(topics.device_topic(uid, "telemetry"), {"co2": 777})
    rows = await fetch(database_url, "SELECT id FROM devices WHERE device_uid = $1", uid)
    stored = await eventually(lambda: telemetry_rows(database_url, rows[0]["id"]))
    assert stored[0]["co2"] == 777
    assert run.counters.get("dropped_unknown_device", 0) == 0


async def test_owned_device_is_refused(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession]
):
    uid = new_uid()
    await pair_device(sessionmaker, device_type="multi", uid=uid)
    await start_processor()
    async with responses(broker, uid) as device, Publisher(broker) as sender:
        # The retained {"status": "paired"} of the pairing itself may come first.
        await sender.send(topics.provision_request(uid), {"device_type": "multi"})
        answer = await next_answer(device)
        if answer == {"status": "paired"}:
            answer = await next_answer(device)
        assert answer == {"status": "refused", "reason": "owned"}


async def test_pairing_made_while_the_processor_was_down_is_announced_at_start(
    start_processor, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    async with sessionmaker() as session:
        offer = await pairing.offer_code(session, uid, "co2", None, datetime.now(UTC))
    assert offer is not None
    await _claim(sessionmaker, offer.code)

    await start_processor()
    async with responses(broker, uid) as device:
        assert await next_answer(device) == {"status": "paired"}  # retained: the device may connect any time

    async def announced():
        rows = await fetch(
            database_url,
            "SELECT announced_at FROM pairing_codes p JOIN devices d ON d.id = p.device_id"
            " WHERE d.device_uid = $1",
            uid,
        )
        return rows[0]["announced_at"]

    await eventually(announced)
