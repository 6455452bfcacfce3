"""Sharing end to end: invitations, each role's allowed and refused actions, members, ownership transfer."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.views.fitting import MESSAGE_LENGTH, telegram_length
from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.seed import make_user, share
from tests.kit.chat import accept, invite, open_card, pair
from tests.kit.sql import execute, fetch, links, user_id

Sessions = async_sessionmaker[AsyncSession]
DEVICE = "CO2 monitor #1"


async def _shared(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine, role_button: str
) -> tuple[TelegramUser, TelegramUser, int]:
    owner, member = tg.user("Alice"), tg.user("Bob")
    device = await pair(owner, sessionmaker, engine)
    parameter = await invite(owner, DEVICE, role_button)
    await accept(member, parameter)
    await owner.next_message()  # "Bob accepted your invitation"
    return owner, member, device


async def test_viewer_invitation_end_to_end(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, bob = tg.user("Alice"), tg.user("Bob", language_code="ru")
    device = await pair(alice, sessionmaker, engine)
    parameter = await invite(alice, DEVICE, "👁 Viewer")

    match = re.fullmatch(r"inv_([A-Za-z0-9_-]{22,})", parameter)
    assert match is not None, parameter
    token = match.group(1)
    stored = await fetch(engine, "SELECT token_hash, role FROM invitations WHERE device_id = :id", id=device)
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(), "viewer")]

    reply = await accept(bob, parameter)
    assert "Теперь у вас есть доступ к CO2 monitor #1 с ролью «наблюдатель»" in reply
    told = await alice.next_message()
    assert told.text == "Bob accepted your invitation to CO2 monitor #1 as viewer."
    assert await links(engine, device) == {alice.id: "owner", bob.id: "viewer"}

    bob.send("/status")
    assert DEVICE in ((await bob.next_message()).text or "")


async def test_invitation_link_uses_the_bot_username(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice = tg.user("Alice")
    await pair(alice, sessionmaker, engine)
    alice.send("/share")
    await alice.next_message()
    alice.press(DEVICE)
    await alice.next_message()
    await alice.next_answer()
    alice.press("🛠 Admin")
    invitation = await alice.next_message()
    url = invitation.button("Accept the invitation")["url"]
    assert url.startswith("https://t.me/smartair_test_bot?start=inv_")
    assert "as admin, valid for 24 hours" in (invitation.text or "")


async def test_replayed_invitation_is_refused(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, bob, carol = tg.user("Alice"), tg.user("Bob"), tg.user("Carol")
    device = await pair(alice, sessionmaker, engine)
    parameter = await invite(alice, DEVICE, "👁 Viewer")
    await accept(bob, parameter)
    assert "already been used" in await accept(carol, parameter)
    assert await links(engine, device) == {alice.id: "owner", bob.id: "viewer"}


async def test_expired_invitation_is_refused(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, bob = tg.user("Alice"), tg.user("Bob")
    device = await pair(alice, sessionmaker, engine)
    parameter = await invite(alice, DEVICE, "👁 Viewer")
    await execute(
        engine,
        "UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE device_id = :id",
        id=device,
    )
    assert "has expired" in await accept(bob, parameter)
    assert await links(engine, device) == {alice.id: "owner"}


async def test_own_invitation_is_refused_and_stays_usable(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, bob = tg.user("Alice"), tg.user("Bob")
    device = await pair(alice, sessionmaker, engine)
    parameter = await invite(alice, DEVICE, "🛠 Admin")
    assert "your own device" in await accept(alice, parameter)
    assert "You now have access" in await accept(bob, parameter)
    assert await links(engine, device) == {alice.id: "owner", bob.id: "admin"}


async def test_made_up_invitation_is_refused(tg: BotApiDouble) -> None:
    eve = tg.user("Eve")
    assert "not valid" in await accept(eve, "inv_AAAAAAAAAAAAAAAAAAAAAAAA")
    assert "not valid" in await accept(eve, "inv_short")


async def test_viewer_sees_but_cannot_change(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, bob, device = await _shared(tg, sessionmaker, engine, "👁 Viewer")
    card = await open_card(bob, DEVICE)
    assert "Your role: viewer" in (card.text or "")
    assert card.button_texts == [
        "🔕 Turn notifications off",
        "📄 Monthly report",
        "🚪 Leave",
        "« All devices",
    ]

    for forged in (f"dev:rename:{device}", f"dev:remove_ok:{device}", f"shr:{device}", f"inv:{device}:admin"):
        bob.press_raw(forged)
        answer = await bob.next_answer()
        assert answer.text == "⛔ You have no rights for this on that device.", forged
        assert answer.show_alert
    assert await fetch(engine, "SELECT name FROM devices WHERE id = :id", id=device) == [(DEVICE,)]
    assert await fetch(engine, "SELECT count(*) FROM invitations WHERE device_id = :id", id=device) == [(1,)]
    assert await links(engine, device) == {alice.id: "owner", bob.id: "viewer"}


async def test_viewer_switches_only_their_own_notifications(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, bob, device = await _shared(tg, sessionmaker, engine, "👁 Viewer")
    await open_card(bob, DEVICE)
    bob.press("🔕 Turn notifications off")
    await bob.next_message()
    assert (await bob.next_answer()).text == "Notifications are off."
    rows = await fetch(
        engine,
        "SELECT u.telegram_id, ud.notifications FROM user_devices ud JOIN users u ON u.id = ud.user_id"
        " WHERE ud.device_id = :id",
        id=device,
    )
    assert dict(rows) == {alice.id: True, bob.id: False}


async def test_admin_renames_but_cannot_share_or_remove(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, bob, device = await _shared(tg, sessionmaker, engine, "🛠 Admin")
    card = await open_card(bob, DEVICE)
    assert card.button_texts == [
        "✏️ Rename",
        "📍 Location",
        "🔄 Restart",
        "📶 Ping",
        "🔕 Turn notifications off",
        "📄 Monthly report",
        "🚪 Leave",
        "« All devices",
    ]
    bob.press("✏️ Rename")
    await bob.next_message()
    await bob.next_answer()
    bob.send("Office")
    assert "Renamed to Office" in ((await bob.next_message()).text or "")

    bob.send("/share")
    assert "You own no devices" in ((await bob.next_message()).text or "")
    for forged in (f"shr:{device}", f"mbs:{device}", f"dev:remove_ok:{device}", f"inv:{device}:viewer"):
        bob.press_raw(forged)
        assert (await bob.next_answer()).text == "⛔ You have no rights for this on that device.", forged
    assert await links(engine, device) == {alice.id: "owner", bob.id: "admin"}


async def test_owner_changes_a_role_and_revokes(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, bob, device = await _shared(tg, sessionmaker, engine, "👁 Viewer")
    await open_card(alice, DEVICE)
    alice.press("👥 Members")
    members = await alice.next_message()
    await alice.next_answer()
    assert "👑 Alice — owner" in (members.text or "")
    assert "👁 Bob — viewer" in (members.text or "")

    alice.press("Bob: make admin")
    members = await alice.next_message()
    assert (await alice.next_answer()).text == "Bob is now admin."
    assert "🛠 Bob — admin" in (members.text or "")
    assert (await bob.next_message()).text == "Your role on CO2 monitor #1 is now admin."
    assert await links(engine, device) == {alice.id: "owner", bob.id: "admin"}

    alice.press("Bob: revoke")
    members = await alice.next_message()
    assert (await alice.next_answer()).text == "Bob no longer has access."
    assert "Bob" not in (members.text or "")
    assert (await bob.next_message()).text == "Your access to CO2 monitor #1 was revoked by its owner."
    assert await links(engine, device) == {alice.id: "owner"}


async def test_member_leaves(tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine) -> None:
    alice, bob, device = await _shared(tg, sessionmaker, engine, "👁 Viewer")
    await open_card(bob, DEVICE)
    bob.press("🚪 Leave")
    assert "Leave CO2 monitor #1?" in ((await bob.next_message()).text or "")
    await bob.next_answer()
    bob.press("Yes, leave")
    assert (await bob.next_message()).text == "You left CO2 monitor #1."
    assert await links(engine, device) == {alice.id: "owner"}


async def test_owner_removal_tells_the_members(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, bob, device = await _shared(tg, sessionmaker, engine, "👁 Viewer")
    await open_card(alice, DEVICE)
    alice.press("🗑 Remove")
    await alice.next_message()
    await alice.next_answer()
    alice.press("Yes, remove it")
    await alice.next_message()
    assert (await bob.next_message()).text == (
        "CO2 monitor #1 was removed by its owner; you no longer have access to it."
    )
    assert await links(engine, device) == {}


async def test_ownership_goes_to_an_admin(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, bob, device = await _shared(tg, sessionmaker, engine, "🛠 Admin")
    await open_card(alice, DEVICE)
    alice.press("👥 Members")
    await alice.next_message()
    await alice.next_answer()
    alice.press("Bob: make owner")
    confirm = await alice.next_message()
    await alice.next_answer()
    assert "Make Bob the owner of CO2 monitor #1?" in (confirm.text or "")
    alice.press("Yes, transfer ownership")
    done = await alice.next_message()
    await alice.next_answer()
    assert done.text == "Bob is now the owner of CO2 monitor #1; you are an admin."
    assert (await bob.next_message()).text == "You are now the owner of CO2 monitor #1."
    assert await links(engine, device) == {alice.id: "admin", bob.id: "owner"}

    # The former owner is an admin now: removing is refused, the new owner may.
    alice.press_raw(f"dev:remove_ok:{device}")
    assert (await alice.next_answer()).text == "⛔ You have no rights for this on that device."
    card = await open_card(bob, DEVICE)
    assert "🗑 Remove" in card.button_texts


async def test_ownership_cannot_go_to_a_viewer(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, bob, device = await _shared(tg, sessionmaker, engine, "👁 Viewer")
    alice.press_raw(f"mbr:transfer_ok:{device}:{await user_id(engine, bob)}")
    answer = await alice.next_answer()
    assert answer.text == "Ownership can only go to an admin member. Make them an admin first."
    assert await links(engine, device) == {alice.id: "owner", bob.id: "viewer"}


async def test_rename_prompt_dies_with_the_access(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice, bob, device = await _shared(tg, sessionmaker, engine, "🛠 Admin")
    await open_card(bob, DEVICE)
    bob.press("✏️ Rename")
    await bob.next_message()
    await bob.next_answer()

    alice.press_raw(f"mbr:revoke:{device}:{await user_id(engine, bob)}")
    await alice.next_message()
    await alice.next_answer()
    await bob.next_message()  # "Your access … was revoked"

    bob.send("Hijacked")
    assert (await bob.next_message()).text == "⛔ You have no rights for this on that device."
    bob.send("Hijacked again")
    assert (await bob.next_message()).text == "I did not understand that. /help lists what I can do."
    assert await fetch(engine, "SELECT name FROM devices WHERE id = :id", id=device) == [(DEVICE,)]


async def test_a_members_list_of_many_long_names_is_cut_to_one_message_with_how_many_more(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    owner = tg.user("Alice")
    device = await pair(owner, sessionmaker, engine)
    # First names of 64 characters, as Telegram allows; the double refuses texts over 4096 as Telegram does.
    names = [(f"Member {n:02} " + "Wolfeschlegelsteinhausenbergerdorff " * 2)[:64] for n in range(70)]
    for name in names:
        await share(sessionmaker, await make_user(sessionmaker, first_name=name), device)
    await open_card(owner, DEVICE)
    owner.press("👥 Members")
    members = (await owner.next_message()).text or ""
    assert telegram_length(members) <= MESSAGE_LENGTH
    assert "👑 Alice — owner" in members
    shown = sum(name in members for name in names)
    assert 10 < shown < len(names)
    assert members.endswith(f"…and {len(names) - shown} more.")
