"""A computer paired over HTTP (SPEC 3a) in the bot: the card, /settings and /update offer nothing that
travels over MQTT, and say so plainly."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.callback_data.device_commands import DeviceCommandAction
from core.services import agents
from core.services.commands import CommandName
from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.seed import now
from tests.kit.chat import open_card
from tests.kit.sql import device_id, fetch

Sessions = async_sessionmaker[AsyncSession]


async def _pair_agent(user: TelegramUser, sessionmaker: Sessions, hostname: str) -> str:
    """A Telegraf agent asks for a code over HTTP (core.services.agents) and `user` sends /add: its uid."""
    async with sessionmaker() as session:
        started = await agents.start_pairing(session, "host", hostname, now())
        await session.commit()
    user.send(f"/add {started.code}")
    assert f"Paired: {hostname}" in ((await user.next_message()).text or "")
    return started.uid


async def test_the_card_of_an_agent_offers_no_commands_and_says_why(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice = tg.user("Alice")
    uid = await _pair_agent(alice, sessionmaker, "robot-7")
    card = await open_card(alice, "robot-7")
    assert "Reports over HTTP (Telegraf): restart, ping and firmware updates are not available" in (
        card.text or ""
    )
    assert not {"🔄 Restart", "📶 Ping"} & set(card.button_texts)
    assert "✏️ Rename" in card.button_texts

    # A forged button (an old client, a modified one) is refused plainly, and nothing is queued.
    device = await device_id(engine, uid)
    alice.press_raw(DeviceCommandAction(command=CommandName.PING, device_id=device).pack())
    answer = await alice.next_answer()
    assert answer.show_alert and "commands and firmware updates cannot reach it" in (answer.text or "")
    assert await fetch(engine, "SELECT id FROM device_commands WHERE device_id = :d", d=device) == []


async def test_settings_of_an_agent_have_no_report_interval_and_apply_on_the_server(
    tg: BotApiDouble, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    bob = tg.user("Bob")
    uid = await _pair_agent(bob, sessionmaker, "robot-8")
    bob.send("/settings")
    overview = await bob.next_message()
    assert "Report interval: set by its Telegraf agent" in (overview.text or "")
    assert "Applied on the server" in (overview.text or "")
    assert "⏱ Report interval" not in overview.button_texts

    bob.press("🔕 Turn alerts off")
    await bob.next_answer()
    await bob.next_message()  # the overview, redrawn
    assert "Saved" in ((await bob.next_message()).text or "")  # not "sent — waiting for the device"
    rows = await fetch(
        engine,
        "SELECT alerts_enabled, version FROM device_configs WHERE device_id = :d",
        d=await device_id(engine, uid),
    )
    assert rows == [(False, 1)]


async def test_update_says_plainly_that_an_agents_software_is_not_ours_to_update(
    tg: BotApiDouble, sessionmaker: Sessions
) -> None:
    carol = tg.user("Carol")
    await _pair_agent(carol, sessionmaker, "robot-9")
    carol.send("/update")
    first = await carol.next_message()
    assert "robot-9: reports over HTTP (Telegraf), so SmartAir cannot update its software" in (
        first.text or ""
    )
    assert "No update available" in ((await carol.next_message()).text or "")
