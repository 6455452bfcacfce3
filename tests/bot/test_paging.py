"""Keyboards that grow with data come in pages: the Bot API double refuses more than 100 buttons in one
message as Telegram does, so an unpaged list of 150 devices or 120 members would never arrive."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sandbox.botapi import BotApiDouble, BotMessage, TelegramUser
from sandbox.limits import INLINE_KEYBOARD_BUTTONS
from sandbox.seed import make_user, pair_device, share
from tests.kit.chat import started_user
from tests.kit.sql import execute

Sessions = async_sessionmaker[AsyncSession]
NEXT, PREVIOUS = "Next »", "« Previous"
PAGE = 10


def device_buttons(message: BotMessage, names: list[str]) -> list[str]:
    return [text for text in message.button_texts if any(text.endswith(name) for name in names)]


def fits(message: BotMessage) -> bool:
    return 0 < len(message.button_texts) <= INLINE_KEYBOARD_BUTTONS


async def next_page(user: TelegramUser) -> BotMessage:
    user.press(NEXT)
    page = await user.next_message()
    await user.next_answer()
    return page


async def test_150_devices_are_offered_ten_at_a_time_in_every_picker(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    fred, fred_id = await started_user(tg, engine, "Fred")
    names = [f"Room {n:03}" for n in range(150)]
    for name in names:
        await pair_device(sessionmaker, owner_id=fred_id, name=name)
    # No current device: /history offers the picker too.
    await execute(engine, "UPDATE users SET current_device_id = NULL WHERE id = :id", id=fred_id)

    for command in ("/devices", "/select", "/history", "/export", "/share"):
        fred.send(command)
        first = await fred.next_message()
        assert fits(first), command
        assert len(device_buttons(first, names)) == PAGE, command
        assert NEXT in first.button_texts and PREVIOUS not in first.button_texts, command
        second = await next_page(fred)
        assert second.message_id == first.message_id, command  # the same message, edited
        assert fits(second), command
        assert set(device_buttons(second, names)).isdisjoint(device_buttons(first, names)), command
        assert {NEXT, PREVIOUS} <= set(second.button_texts), command

    # Every device is reachable: /devices paged to the end shows each once, then no » any more.
    fred.send("/devices")
    page = await fred.next_message()
    seen = device_buttons(page, names)
    while NEXT in page.button_texts:
        page = await next_page(fred)
        seen += device_buttons(page, names)
    assert sorted(text.split(" ", 1)[1] for text in seen) == names
    # A device picked on a later page works like any other.
    fred.send("/select")
    await fred.next_message()
    await next_page(fred)
    fred.press("Room 015")
    chosen = await fred.next_message()
    await fred.next_answer()
    assert "Current device: Room 015" in (chosen.text or "")
    assert "✅ Room 015" in chosen.button_texts  # the page holding the chosen one
    assert fits(chosen)


async def test_a_device_with_120_members_lists_them_in_pages(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    olga, olga_id = await started_user(tg, engine, "Olga")
    device = await pair_device(sessionmaker, owner_id=olga_id, name="Hall")
    members = [f"Guest{n:03}" for n in range(120)]
    for name in members:
        await share(sessionmaker, await make_user(sessionmaker, first_name=name), device)

    olga.press_raw(f"mbs:{device}", (await _any_message(olga)).message_id)
    first = await olga.next_message()
    await olga.next_answer()
    assert fits(first)
    revoke = [text for text in first.button_texts if text.endswith(": revoke")]
    assert len(revoke) == PAGE
    second = await next_page(olga)
    assert fits(second)
    assert set(second.button_texts).isdisjoint(revoke)
    assert "« Back" in second.button_texts
    # A stale page number from an old button lands on the last page, which holds the rest.
    olga.press_raw(f"mbsp:{device}:99", second.message_id)
    last = await olga.next_message()
    await olga.next_answer()
    assert PREVIOUS in last.button_texts and NEXT not in last.button_texts
    assert len([text for text in last.button_texts if text.endswith(": revoke")]) == PAGE  # 120 = 12 pages


async def _any_message(user: TelegramUser) -> BotMessage:
    user.send("/devices")
    return await user.next_message()
