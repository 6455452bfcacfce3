"""Callback data comes from the client: forged, foreign or garbage buttons change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sandbox.botapi import BotApiDouble
from tests.kit.chat import accept, invite, pair
from tests.kit.sql import fetch, links, user_id

Sessions = async_sessionmaker[AsyncSession]
REFUSED = "⛔ You have no rights for this on that device."


async def test_buttons_naming_someone_elses_device_are_refused(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, bob, mallory = tg.user("Alice"), tg.user("Bob"), tg.user("Mallory")
    device = await pair(alice, sessionmaker, engine)
    await accept(bob, await invite(alice, "CO2 monitor #1", "👁 Viewer"))
    await alice.next_message()
    mallory.send("/start")
    await mallory.next_message()
    bob_id = await user_id(engine, bob)

    forged = [
        f"dev:open:{device}",
        f"dev:notify_off:{device}",
        f"dev:rename:{device}",
        f"dev:remove_ok:{device}",
        f"dev:leave_ok:{device}",
        f"sel:{device}",
        f"shr:{device}",
        f"inv:{device}:admin",
        f"mbs:{device}",
        f"mbr:revoke:{device}:{bob_id}",
        f"mbr:transfer_ok:{device}:{await user_id(engine, mallory)}",
    ]
    for data in forged:
        calls_before = len(tg.calls)
        mallory.press_raw(data)
        answer = await mallory.next_answer()
        assert answer.text == REFUSED, data
        assert answer.show_alert
        touched = [call for call in tg.calls[calls_before:] if call.params.get("chat_id") == str(mallory.id)]
        assert touched == [], data

    assert await links(engine, device) == {alice.id: "owner", bob.id: "viewer"}
    assert await fetch(
        engine, "SELECT name, paired_at IS NOT NULL FROM devices WHERE id = :id", id=device
    ) == [("CO2 monitor #1", True)]
    assert await fetch(engine, "SELECT count(*) FROM invitations WHERE device_id = :id", id=device) == [(1,)]
    current = await fetch(
        engine, "SELECT current_device_id FROM users WHERE telegram_id = :id", id=mallory.id
    )
    assert current == [(None,)]


@pytest.mark.parametrize(
    "garbage",
    ["dev:open:abc", "dev:explode:1", "nonsense", "mbr:admin:1", "inv:1:superuser", "sel:", "x" * 64],
)
async def test_garbage_callback_data_is_answered_as_a_stale_button(tg: BotApiDouble, garbage: str) -> None:
    trent = tg.user("Trent")
    trent.send("/start")
    await trent.next_message()
    trent.press_raw(garbage)
    answer = await trent.next_answer()
    assert answer.text == "This button is no longer valid. Send /devices to start again."


async def test_made_up_language_is_refused(tg: BotApiDouble, engine: AsyncEngine) -> None:
    trudy = tg.user("Trudy")
    trudy.send("/language")
    await trudy.next_message()
    trudy.press_raw("lang:xx")
    assert (await trudy.next_answer()).text == "This button is no longer valid. Send /devices to start again."
    assert await fetch(engine, "SELECT language FROM users WHERE telegram_id = :id", id=trudy.id) == [("en",)]


async def test_owner_cannot_forge_an_invitation_for_ownership(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice = tg.user("Alice")
    device = await pair(alice, sessionmaker, engine)
    alice.press_raw(f"inv:{device}:owner")
    assert (await alice.next_answer()).text == "That role cannot be given."
    assert await fetch(engine, "SELECT count(*) FROM invitations WHERE device_id = :id", id=device) == [(0,)]
