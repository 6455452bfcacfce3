"""/add: pairing by code, and every way a code is refused (SPEC section 4)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sandbox.botapi import BotApiDouble
from sandbox.seed import now, offer_device
from tests.kit.sql import device_id, execute, fetch, links

Sessions = async_sessionmaker[AsyncSession]


async def test_code_with_the_command_makes_the_user_owner_and_signals_the_processor(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice = tg.user("Alice")
    uid, code = await offer_device(sessionmaker)
    # Typed the way people type: lower case, a dash in the middle.
    alice.send(f"/add {code[:4].lower()}-{code[4:].lower()}")
    reply = await alice.next_message()
    assert reply.text is not None
    assert "Paired: CO2 monitor #1" in reply.text
    device = await device_id(engine, uid)
    assert await links(engine, device) == {alice.id: "owner"}
    rows = await fetch(engine, "SELECT used_at IS NOT NULL FROM pairing_codes WHERE code = :code", code=code)
    assert rows == [(True,)]
    current = await fetch(engine, "SELECT current_device_id FROM users WHERE telegram_id = :id", id=alice.id)
    assert current == [(device,)]


async def test_add_without_a_code_asks_for_it(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    bob = tg.user("Bob")
    uid, code = await offer_device(sessionmaker)
    bob.send("/add")
    prompt = await bob.next_message()
    assert "8-character code" in (prompt.text or "")
    bob.send(f" {code} ")
    reply = await bob.next_message()
    assert "Paired" in (reply.text or "")
    assert await links(engine, await device_id(engine, uid)) == {bob.id: "owner"}


async def test_second_device_of_a_type_gets_the_next_number(tg: BotApiDouble, sessionmaker: Sessions) -> None:
    carol = tg.user("Carol")
    for expected in ("CO2 monitor #1", "CO2 monitor #2"):
        _, code = await offer_device(sessionmaker)
        carol.send(f"/add {code}")
        assert expected in ((await carol.next_message()).text or "")


async def test_wrong_code_is_refused(tg: BotApiDouble) -> None:
    dave = tg.user("Dave")
    dave.send("/add 23456789")
    reply = await dave.next_message()
    assert "No device has that code" in (reply.text or "")


async def test_malformed_code_is_refused(tg: BotApiDouble) -> None:
    erin = tg.user("Erin")
    erin.send("/add hello")
    reply = await erin.next_message()
    assert "does not look like a pairing code" in (reply.text or "")


async def test_expired_code_is_refused(tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine) -> None:
    frank = tg.user("Frank")
    uid, code = await offer_device(sessionmaker, at=now() - timedelta(minutes=16))
    frank.send(f"/add {code}")
    reply = await frank.next_message()
    assert "expired" in (reply.text or "")
    assert await links(engine, await device_id(engine, uid)) == {}


async def test_used_code_is_refused(tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine) -> None:
    grace, heidi = tg.user("Grace"), tg.user("Heidi")
    uid, code = await offer_device(sessionmaker)
    grace.send(f"/add {code}")
    assert "Paired" in ((await grace.next_message()).text or "")
    heidi.send(f"/add {code}")
    reply = await heidi.next_message()
    assert "already been used" in (reply.text or "")
    assert await links(engine, await device_id(engine, uid)) == {grace.id: "owner"}


async def test_device_with_an_owner_is_refused(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    ivan, judy = tg.user("Ivan"), tg.user("Judy")
    ivan.send("/start")
    await ivan.next_message()
    uid, code = await offer_device(sessionmaker)
    device = await device_id(engine, uid)
    # Ivan already owns the device (paired before this code was handed out).
    await execute(
        engine,
        "INSERT INTO user_devices (user_id, device_id, role)"
        " SELECT id, :device, 'owner' FROM users WHERE telegram_id = :telegram_id",
        device=device,
        telegram_id=ivan.id,
    )
    judy.send(f"/add {code}")
    reply = await judy.next_message()
    assert "already has an owner" in (reply.text or "")
    assert await links(engine, device) == {ivan.id: "owner"}


async def test_sixth_wrong_code_within_15_minutes_is_refused_even_if_right(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    mallory = tg.user("Mallory")
    for attempt in range(5):
        mallory.send(f"/add 2345678{attempt}")
        assert "No device has that code" in ((await mallory.next_message()).text or "")
    uid, code = await offer_device(sessionmaker)
    mallory.send(f"/add {code}")
    reply = await mallory.next_message()
    assert "Too many wrong codes" in (reply.text or "")
    assert await links(engine, await device_id(engine, uid)) == {}


async def test_russian_user_is_refused_in_russian(tg: BotApiDouble) -> None:
    oleg = tg.user("Олег", language_code="ru")
    oleg.send("/add 23456789")
    reply = await oleg.next_message()
    assert "Устройства с таким кодом нет" in (reply.text or "")
