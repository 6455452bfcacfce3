"""An HTTP agent over its message budget (SPEC 3: the per-device budget applies to HTTP ingest too): each
request beyond it is refused with 429, and the owner hears about it once, through the same path as an MQTT
device's (processor.over_budget), in the bot's chat."""

from __future__ import annotations

import time

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import web
from sandbox.botapi import BotApiDouble
from tests.agents.test_http_agents import post
from tests.kit.wait import eventually
from tests.processor.helpers import fetch

Sessions = async_sessionmaker[AsyncSession]
BURST = 3


def _line() -> str:
    return f"mem,host=robot-7 used_percent=42.5 {time.time_ns()}"


async def test_an_http_host_beyond_its_budget_is_refused_and_its_owner_told_once_in_the_chat(
    tg: BotApiDouble, start_processor, database_url: str
):
    # SPEC's budget is 10/s with bursts of 6 000; the same bucket, shrunk: a burst of 3, (almost) no refill.
    run = await start_processor(device_budget=(0.001, BURST))
    app = web.new_app()
    run.processor.add_routes(app)  # type: ignore[attr-defined]
    async with web.serving(app, 0, "127.0.0.1") as port, aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{port}"
        async with http.post(f"{url}/api/pair", json={"device_type": "host", "hostname": "robot-7"}) as r:
            offer = await r.json()
        alice = tg.user("Alice")
        alice.send(f"/add {offer['code']}")
        assert "Paired: robot-7" in ((await alice.next_message()).text or "")
        async with http.get(f"{url}{offer['poll']}") as r:
            token = (await r.json())["token"]

        statuses = [(await post(url, token, _line()))[0] for _ in range(BURST + 3)]
        assert statuses == [204] * BURST + [429] * 3
        notice = await alice.next_message(timeout=30)
        assert "robot-7 sends far more often than any device should" in (notice.text or "")

        # The flood goes on: more refusals, no second notice.
        assert [(await post(url, token, _line()))[0] for _ in range(5)] == [429] * 5
    await eventually(lambda: _dropped(run, 8))
    notices = await fetch(
        database_url,
        "SELECT o.id FROM notification_outbox o JOIN users u ON u.id = o.user_id"
        " WHERE o.kind = 'device_over_budget' AND u.telegram_id = $1",
        alice.id,
    )
    assert len(notices) == 1
    (device,) = await fetch(database_url, "SELECT id FROM devices WHERE device_uid = $1", offer["uid"])
    rows = await fetch(database_url, "SELECT count(*) FROM telemetry WHERE device_id = $1", device["id"])
    assert rows[0][0] == BURST


async def _dropped(run: object, count: int) -> bool:
    return run.counters.get("dropped_rate_limited", 0) >= count  # type: ignore[attr-defined]
