"""Restart and ping from the device card: the device's answer is shown, or "no answer" after the timeout."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.control.conftest import COMMAND_TTL
from tests.control.helpers import Agent
from tests.kit.chat import open_card
from tests.kit.sql import fetch
from tests.kit.wait import until_text


async def test_restart_round_trip_shows_the_result_and_the_agent_comes_back(
    agent: Agent,
    engine: AsyncEngine,
) -> None:
    owner = agent.owner
    await open_card(owner, agent.name)
    console_before = len(agent.program.output())
    owner.press("🔄 Restart")
    await owner.next_answer()
    sent = await until_text(owner, "Restart sent to")
    done = await until_text(owner, "is restarting", within=30)
    assert done.message_id == sent.message_id
    # The agent really restarted (a fresh process image) and connected again.
    output = await agent.program.wait_output(f"device={agent.uid} restarting", after=console_before)
    await agent.program.wait_output(f"device={agent.uid} connected", after=output.index("restarting"))
    rows = await fetch(
        engine,
        "SELECT result_ok, published_at IS NOT NULL FROM device_commands WHERE device_id = :id",
        id=agent.device_id,
    )
    assert rows == [(True, True)]


async def test_ping_to_an_agent_that_is_down_shows_no_answer(
    agent: Agent,
) -> None:
    owner = agent.owner
    await open_card(owner, agent.name)
    owner.press("📶 Ping")
    await owner.next_answer()
    await until_text(owner, "answered the ping in")

    await agent.program.stop()
    owner.press("📶 Ping")
    await owner.next_answer()
    sent = await until_text(owner, "Ping sent to")
    silence = await until_text(owner, "No answer from", within=45)
    assert silence.message_id == sent.message_id
    assert f"within {COMMAND_TTL} s" in (silence.text or "")
