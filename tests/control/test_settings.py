"""/settings: a change made in the chat reaches the device, which confirms it; refusals are explained."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.callback_data.device_commands import DeviceCommandAction
from bot.callback_data.settings import SettingsAction, SettingsOp
from core.services.commands import CommandName
from sandbox.botapi import BotApiDouble
from sandbox.programs import ProcessorProcess
from tests.control.helpers import Agent, config_row
from tests.kit.chat import accept, invite, pair
from tests.kit.sql import fetch
from tests.kit.wait import until_text


async def test_interval_changed_in_the_chat_reaches_the_agent_and_is_confirmed(
    agent: Agent,
    engine: AsyncEngine,
) -> None:
    owner = agent.owner
    owner.send("/settings")
    overview = await owner.next_message()
    assert "Report interval: 30 s" in (overview.text or "")
    assert "The device runs these settings" in (overview.text or "")
    owner.press("⏱ Report interval")
    await owner.next_message()
    owner.press("10 s")

    sent = await until_text(owner, "waiting for the device")
    applied = await until_text(owner, "Applied", within=30)
    assert applied.message_id == sent.message_id  # the same message, edited
    config = await config_row(engine, agent.device_id)
    assert config["interval"] == 10
    assert config["applied"] == config["version"] == config["published"]
    await agent.program.wait_output(f"config applied version={config['version']} interval=10")


async def test_a_change_made_while_the_processor_is_down_arrives_when_it_starts(
    processor: ProcessorProcess,
    agent: Agent,
    engine: AsyncEngine,
) -> None:
    owner = agent.owner
    assert await processor.stop() == 0
    owner.send("/settings")
    await owner.next_message()
    owner.press("🔕 Turn alerts off")
    await until_text(owner, "waiting for the device")
    before = await config_row(engine, agent.device_id)
    assert before["published"] < before["version"]  # nobody could publish it yet

    processor.start()
    await until_text(owner, "Applied", within=45)
    after = await config_row(engine, agent.device_id)
    assert after["applied"] == after["version"] == before["version"]
    await agent.program.wait_output(f"config applied version={before['version']}")


async def test_a_viewer_cannot_change_settings(
    tg: BotApiDouble, sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    owner, viewer = tg.user("Vera"), tg.user("Ivan")
    device = await pair(owner, sessionmaker, engine)
    name = (await fetch(engine, "SELECT name FROM devices WHERE id = :id", id=device))[0][0]
    await accept(viewer, await invite(owner, name, "👁 Viewer"))
    before = await config_row(engine, device)

    viewer.send("/settings")
    refusal = await viewer.next_message()
    assert "Only the owner or an admin" in (refusal.text or "")
    # A modified client sends the button anyway: refused, nothing changes, nothing is published.
    viewer.press_raw(SettingsAction(op=SettingsOp.INTERVAL_SET, device_id=device, value=10).pack())
    answer = await viewer.next_answer()
    assert answer.show_alert and "no rights" in (answer.text or "")
    assert await config_row(engine, device) == before
    # Nor may a viewer restart the device, whatever the client sends.
    viewer.press_raw(DeviceCommandAction(command=CommandName.RESTART, device_id=device).pack())
    assert "no rights" in ((await viewer.next_answer()).text or "")
    assert await fetch(engine, "SELECT count(*) FROM device_commands WHERE device_id = :id", id=device) == [
        (0,)
    ]


async def test_typed_values_are_validated_with_a_clear_message(
    tg: BotApiDouble, sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    owner = tg.user("Nina")
    device = await pair(owner, sessionmaker, engine)
    owner.send("/settings")
    await owner.next_message()
    owner.press("⏱ Report interval")
    await owner.next_message()
    owner.press("⌨️ Type a value")
    assert "from 5 to 3600" in ((await until_text(owner, "Send the report interval")).text or "")
    owner.send("ten")
    assert "That is not a number" in ((await owner.next_message()).text or "")
    owner.send("9" * 400)
    assert "far too large" in ((await owner.next_message()).text or "")
    owner.send("2")
    assert "from 5 to 3600" in ((await owner.next_message()).text or "")
    owner.send("45")
    await until_text(owner, "waiting for the device")
    assert (await config_row(engine, device))["interval"] == 45

    owner.send("/settings")
    await until_text(owner, "Settings of")
    owner.press("📏 Alert levels")
    await until_text(owner, "CO2 above 1000 ppm (clears below 900 ppm)")
    owner.press("clears at 900")
    await until_text(owner, "Send the new clear level")
    owner.send("1200")
    assert "must be below the threshold (1000)" in ((await owner.next_message()).text or "")
    owner.send("850")
    await until_text(owner, "Saved")
    rules = await fetch(
        engine,
        "SELECT threshold, clear_level FROM alert_rules WHERE device_id = :id AND metric = 'co2'",
        id=device,
    )
    assert rules == [(1000.0, 850.0)]


async def test_night_mode_and_time_zone_are_set_from_buttons_and_typed_names(
    tg: BotApiDouble, sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    owner = tg.user("Dina")
    device = await pair(owner, sessionmaker, engine)
    owner.send("/settings")
    await owner.next_message()
    owner.press("🌙 Night mode")
    await until_text(owner, "Night mode holds alerts")
    owner.press("23–07")
    overview = await until_text(owner, "Night mode: 23:00–07:00")
    assert "Waiting for the device" in (overview.text or "")
    await until_text(owner, "waiting for the device")
    rows = await fetch(
        engine, "SELECT night_mode_start, night_mode_end FROM device_configs WHERE device_id = :id", id=device
    )
    assert rows == [(23, 7)]

    owner.press("🕒 Time zone")
    await until_text(owner, "Your time zone, used for")
    owner.press("⌨️ Type a value")
    await until_text(owner, "IANA name")
    owner.send("Mars/Olympus")
    assert "I do not know that time zone" in ((await owner.next_message()).text or "")
    owner.send("asia/almaty")
    await until_text(owner, "Time zone: Asia/Almaty")
    timezone = await fetch(engine, "SELECT timezone FROM users WHERE telegram_id = :id", id=owner.id)
    assert timezone == [("Asia/Almaty",)]
