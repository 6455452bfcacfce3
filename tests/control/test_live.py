"""/live, /watch and /stop: one message edited with fresh readings; the device reports fast meanwhile."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.services import settings
from sandbox.botapi import BotApiDouble, BotMessage, TelegramUser
from sandbox.programs import BotProcess
from sandbox.seed import add_reading
from tests.control.helpers import Agent, applied_version, reading_times
from tests.kit.chat import accept, invite, pair
from tests.kit.sql import fetch, user_id
from tests.kit.wait import eventually, until_text


def _gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def _live_commands(engine: AsyncEngine, device: int) -> list[int]:
    """The `duration` of each live command queued for the device, oldest first."""
    rows = await fetch(
        engine,
        "SELECT (args->>'duration')::int FROM device_commands WHERE device_id = :id AND command = 'live'"
        " ORDER BY created_at",
        id=device,
    )
    return [int(row[0]) for row in rows]


async def _watchers(engine: AsyncEngine, device: int) -> int:
    rows = await fetch(engine, "SELECT count(*) FROM live_watchers WHERE device_id = :id", id=device)
    return int(rows[0][0])


async def test_live_edits_the_message_while_the_agent_reports_every_5_s_then_stop_restores_its_interval(
    tg: BotApiDouble,
    agent: Agent,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
) -> None:
    owner = agent.owner
    async with sessionmaker() as session:
        change = await settings.set_report_interval(
            session, await user_id(engine, owner), agent.device_id, 14
        )
    await eventually(lambda: _applied(engine, agent.device_id, change.version or 0), within=30)

    started = datetime.now(UTC)
    owner.send("/live")
    first = await until_text(owner, "Live readings")
    assert agent.name in (first.text or "")
    edits = [await _edit_of(owner, first.message_id) for _ in range(3)]
    assert len({edit.text for edit in edits}) == 3  # each edit shows something new
    edit_times = [call.at for call in tg.calls_to("editMessageText", owner.id)[-3:]]
    assert min(_gaps(edit_times)) >= 2.9  # at most one edit every 3 s
    await agent.program.wait_output("command=live")
    fast = await eventually(lambda: _readings_after(engine, agent.device_id, started, 4), within=30)
    assert all(3.5 <= gap <= 6.5 for gap in _gaps(fast[1:])), fast

    owner.send("/stop")
    await until_text(owner, "Live readings stopped")
    ended = await until_text(owner, "Live readings ended")
    assert ended.message_id == first.message_id
    assert await _live_commands(engine, agent.device_id) == [600, 0]
    stopped = datetime.now(UTC)
    back = await eventually(lambda: _readings_after(engine, agent.device_id, stopped, 2), within=45)
    assert _gaps(back)[0] >= 12, back  # 14 s again


async def test_two_watchers_of_one_device_share_one_fast_reporting_request(
    tg: BotApiDouble, sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    owner, viewer = tg.user("Oleg"), tg.user("Yana")
    device = await pair(owner, sessionmaker, engine)
    name = (await fetch(engine, "SELECT name FROM devices WHERE id = :id", id=device))[0][0]
    await accept(viewer, await invite(owner, name, "👁 Viewer"))

    owner.send("/live")
    await until_text(owner, "Live readings")
    viewer.send("/live")
    await until_text(viewer, "Live readings")
    assert await _live_commands(engine, device) == [600]  # the second watcher rides on the first request
    assert await _watchers(engine, device) == 2

    owner.send("/stop")
    await until_text(owner, "Live readings stopped")
    assert await _live_commands(engine, device) == [600]  # someone still watches
    viewer.send("/stop")
    await until_text(viewer, "Live readings stopped")
    assert await _live_commands(engine, device) == [600, 0]  # the last one asks the device to go back
    viewer.send("/stop")
    assert "Nothing to stop" in ((await until_text(viewer, "Nothing")).text or "")


async def test_watch_shows_all_devices_in_one_message_and_follows_new_readings(
    tg: BotApiDouble, sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    owner = tg.user("Kira")
    first, second = await pair(owner, sessionmaker, engine), await pair(owner, sessionmaker, engine)
    owner.send("/watch")
    shown = await until_text(owner, "Live readings")
    names = await fetch(engine, "SELECT name FROM devices WHERE id IN (:a, :b)", a=first, b=second)
    assert all(name in (shown.text or "") for (name,) in names)
    await add_reading(engine, second, datetime.now(UTC), co2=1234)
    edit = await _edit_of(owner, shown.message_id)
    assert "CO2 1234 ppm" in (edit.text or "")
    owner.send("/stop")
    await until_text(owner, "Live readings ended")


async def test_a_live_view_ends_cleanly_when_its_message_is_deleted(
    tg: BotApiDouble, sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    owner = tg.user("Mila")
    device = await pair(owner, sessionmaker, engine)
    owner.send("/live")
    shown = await until_text(owner, "Live readings")
    tg.chat_messages(owner.id).pop(shown.message_id)  # the user deleted it
    await add_reading(engine, device, datetime.now(UTC), co2=777)
    await eventually(lambda: _unwatched(engine, device), within=15)
    assert await _live_commands(engine, device) == [600, 0]


async def test_a_live_view_ends_cleanly_when_the_user_blocks_the_bot(
    tg: BotApiDouble, sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    owner = tg.user("Gleb")
    device = await pair(owner, sessionmaker, engine)
    owner.send("/live")
    await until_text(owner, "Live readings")
    tg.block(owner.id)
    await add_reading(engine, device, datetime.now(UTC), co2=778)
    await eventually(lambda: _unwatched(engine, device), within=15)
    assert await _live_commands(engine, device) == [600, 0]
    rows = await fetch(engine, "SELECT is_active FROM users WHERE telegram_id = :id", id=owner.id)
    assert rows == [(False,)]


async def _edit_of(user: TelegramUser, message_id: int) -> BotMessage:
    while True:
        message = await user.next_message(timeout=20)
        if message.method == "editMessageText" and message.message_id == message_id:
            return message


async def _readings_after(engine: AsyncEngine, device: int, since: datetime, count: int) -> list[float]:
    """The reading times since `since` once there are `count` of them; [] (keep waiting) before."""
    times = await reading_times(engine, device, since)
    return times if len(times) >= count else []


async def _applied(engine: AsyncEngine, device: int, version: int) -> bool:
    return await applied_version(engine, device) >= version


async def _unwatched(engine: AsyncEngine, device: int) -> bool:
    return await _watchers(engine, device) == 0


async def test_a_live_view_goes_on_after_the_bot_restarts(
    tg: BotApiDouble,
    bot: BotProcess,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
) -> None:
    owner = tg.user("Timur")
    device = await pair(owner, sessionmaker, engine)
    owner.send("/live")
    shown = await until_text(owner, "Live readings")
    await bot.restart()
    await add_reading(engine, device, datetime.now(UTC), co2=1501)
    edit = await _edit_of(owner, shown.message_id)  # the new process took the view over
    assert "CO2 1501 ppm" in (edit.text or "")
    owner.send("/stop")
    ended = await until_text(owner, "Live readings ended")
    assert ended.message_id == shown.message_id
