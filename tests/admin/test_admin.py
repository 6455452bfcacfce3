"""/admin, /users and /all_devices as an operator uses them, and what everyone else sees of them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.limits import INLINE_KEYBOARD_BUTTONS
from sandbox.seed import add_reading, make_user, now, pair_device, share
from tests.kit.chat import pair
from tests.kit.sql import execute, fetch, set_status, user_id

Sessions = async_sessionmaker[AsyncSession]


async def _reply(user: TelegramUser, text: str) -> str:
    user.send(text)
    return (await user.next_message()).text or ""


async def test_a_non_operator_gets_what_an_unknown_command_gets(tg: BotApiDouble) -> None:
    stranger = tg.user("Sam")
    await _reply(stranger, "/start")
    unknown = await _reply(stranger, "/no_such_command")
    for command in ("/admin", "/users", "/all_devices", "/users Opal"):
        assert await _reply(stranger, command) == unknown

    # A forged operator's button is a stale button to anyone else.
    stranger.press_raw("adm:dash:0:")
    answer = await stranger.next_answer()
    assert answer.text is not None and "no longer valid" in answer.text


async def test_the_dashboard_counts_users_and_devices_and_refreshes_in_place(
    tg: BotApiDouble, operator: TelegramUser, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    owner = tg.user("Dana")
    await _reply(owner, "/start")
    online, offline, never = [await pair(owner, sessionmaker, engine) for _ in range(3)]
    await set_status(engine, online, True, now())
    await set_status(engine, offline, False, now() - timedelta(hours=2))
    await add_reading(engine, online, now() - timedelta(seconds=20), co2=700)
    assert never

    operator.send("/admin")
    board = await operator.next_message()
    counts = await fetch(
        engine,
        "SELECT count(*) FILTER (WHERE is_online), count(*) FILTER (WHERE NOT is_online AND last_seen IS NOT"
        " NULL), count(*) FILTER (WHERE last_seen IS NULL) FROM devices",
    )
    on, off, unseen = counts[0]
    assert f"Devices: {on} online · {off} offline · {unseen} never seen" in (board.text or "")
    users = await fetch(engine, "SELECT count(*) FROM users WHERE is_active AND blocked_at IS NULL")
    assert f"Users: {users[0][0]} active" in (board.text or "")
    assert "Readings: 1 in the last minute" in (board.text or "")

    await add_reading(engine, online, now() - timedelta(seconds=5), co2=710)
    operator.press("🔄 Refresh")
    refreshed = await operator.next_message()
    assert refreshed.method == "editMessageText" and refreshed.message_id == board.message_id
    assert "Readings: 2 in the last minute" in (refreshed.text or "")


async def test_search_finds_a_user_by_telegram_id_and_by_name(
    tg: BotApiDouble, operator: TelegramUser
) -> None:
    wanted = tg.user("Zebulon", username="zeb_the_first")
    await _reply(wanted, "/start")
    other = tg.user("Xavier")
    await _reply(other, "/start")

    by_id = await _reply(operator, f"/users {wanted.id}")
    assert "Users: 1 ·" in by_id
    operator.press(f"🟢 Zebulon @zeb_the_first · {wanted.id}")
    card = await operator.next_message()
    assert f"Telegram id {wanted.id}" in (card.text or "") and "Devices: 0" in (card.text or "")

    # The Search button, then a part of the name, in another case.
    await _reply(operator, "/users")
    operator.press("🔎 Search")
    assert "Send a name" in ((await operator.next_message()).text or "")
    await operator.next_answer()
    operator.send("zebu")
    found = await operator.next_message()
    assert "Users: 1 ·" in (found.text or "")
    assert f"🟢 Zebulon @zeb_the_first · {wanted.id}" in found.button_texts
    assert not any("Xavier" in text for text in found.button_texts)


async def test_a_device_card_shows_owner_members_last_reading_and_firmware(
    tg: BotApiDouble, operator: TelegramUser, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    owner = tg.user("Fiona")
    await _reply(owner, "/start")
    device = await pair(owner, sessionmaker, engine)
    viewer = tg.user("Gus")
    await _reply(viewer, "/start")
    await execute(
        engine,
        "INSERT INTO user_devices (user_id, device_id, role) VALUES (:u, :d, 'viewer')",
        u=await user_id(engine, viewer),
        d=device,
    )
    await execute(
        engine, "UPDATE devices SET name = 'Greenhouse', firmware_version = '2.3.4' WHERE id = :d", d=device
    )
    await add_reading(engine, device, now() - timedelta(minutes=1), co2=912, temperature=21.5)
    uid = (await fetch(engine, "SELECT device_uid FROM devices WHERE id = :d", d=device))[0][0]

    operator.send(f"/all_devices {uid}")
    listing = await operator.next_message()
    assert "Devices: 1 ·" in (listing.text or "")
    operator.press(f"⚫ Greenhouse · {uid}")
    card = (await operator.next_message()).text or ""
    assert f"Owner: Fiona · {owner.id}" in card
    assert f"Gus · {viewer.id} — viewer" in card
    assert "firmware 2.3.4" in card and "CO2 912 ppm" in card and "21.5 °C" in card

    # An owner's Telegram id finds their devices too.
    operator.send(f"/all_devices {owner.id}")
    theirs = await operator.next_message()
    assert "Devices: 1 ·" in (theirs.text or "")
    assert f"⚫ Greenhouse · {uid}" in theirs.button_texts


async def test_a_blocked_user_is_ignored_until_unblocked_and_their_device_keeps_its_data(
    tg: BotApiDouble, operator: TelegramUser, engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    troll = tg.user("Trent")
    await _reply(troll, "/start")
    await _reply(operator, f"/users {troll.id}")
    operator.press(f"🟢 Trent · {troll.id}")
    await operator.next_message()
    await operator.next_answer()
    operator.press("🚫 Block")
    card = await operator.next_message()
    assert "blocked by an operator" in (card.text or "")
    assert "Blocked" in ((await operator.next_answer()).text or "")

    troll.send("/devices")
    # Two round trips of the operator after the troll's message: the bot has long handled it, silently.
    await _reply(operator, "/admin")
    await _reply(operator, "/users")
    assert troll.drain() == []

    operator.press_raw(f"admb:{await user_id(engine, troll)}:0")
    await operator.next_message()
    assert "Unblocked" in ((await operator.next_answer()).text or "")
    assert await _reply(troll, "/devices") != ""


async def test_cards_of_a_user_with_120_devices_and_a_device_with_120_members_come_in_pages(
    tg: BotApiDouble, operator: TelegramUser, sessionmaker: Sessions
) -> None:
    # The Bot API double refuses more than 100 buttons in one message, as Telegram does.
    collector = await make_user(sessionmaker, first_name="Collector")
    for n in range(120):
        await pair_device(sessionmaker, owner_id=collector, name=f"Shelf {n:03}")
    hall = await pair_device(sessionmaker, name="Town hall")
    for n in range(120):
        await share(sessionmaker, await make_user(sessionmaker, first_name=f"Citizen{n:03}"), hall)
    await _reply(operator, "/admin")

    # The device card lists its owner first, then the members: ten people a page.
    for data, entry, back in (
        (f"admu:{collector}:0", "📟 ", "👥 Users"),
        (f"admd:{hall}:0", "👤 ", "📟 Devices"),
    ):
        operator.press_raw(data)
        first = await operator.next_message()
        await operator.next_answer()
        entries = [text for text in first.button_texts if text.startswith(entry)]
        assert len(entries) == 10, data
        assert len(first.button_texts) <= INLINE_KEYBOARD_BUTTONS
        assert "Next »" in first.button_texts and back in first.button_texts, data
        operator.press("Next »")
        second = await operator.next_message()
        await operator.next_answer()
        assert second.message_id == first.message_id
        later = [text for text in second.button_texts if text.startswith(entry)]
        assert len(later) == 10 and set(later).isdisjoint(entries), data
        assert "« Previous" in second.button_texts
