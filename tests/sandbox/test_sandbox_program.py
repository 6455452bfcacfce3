"""`python -m sandbox` as a program: the web chat's HTTP side, the device panel, what survives a restart."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from sandbox import settings
from sandbox.programs import SandboxProcess


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[SandboxProcess]:
    program = SandboxProcess(tmp_path, SANDBOX_PEOPLE_FILE=str(tmp_path / "people.json"))
    yield program
    await program.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> tuple[int, Any]:
    async with http.request(method, url, json=body) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else None


async def test_people_keep_their_telegram_ids_across_a_restart(
    sandbox: SandboxProcess, http: aiohttp.ClientSession
) -> None:
    await sandbox.launch()
    _, alice = await call(http, "POST", f"{sandbox.url}/api/people", {"name": "Alice", "language": "en"})
    status, refused = await call(http, "POST", f"{sandbox.url}/api/people", {"name": "", "language": "de"})
    assert status == 400
    assert "language" in refused["error"]
    assert await sandbox.stop() == 0

    await sandbox.launch()
    _, state = await call(http, "GET", f"{sandbox.url}/api/state")
    assert state["people"] == [alice]
    assert state["bot"]["username"] == settings.USERNAME
    # Someone new never gets an id the bot already knows as someone else.
    _, boris = await call(http, "POST", f"{sandbox.url}/api/people", {"name": "Boris", "language": "ru"})
    assert boris["id"] > alice["id"]


async def test_device_reports_reach_the_panel_and_bad_ones_are_refused(
    sandbox: SandboxProcess, http: aiohttp.ClientSession
) -> None:
    await sandbox.launch()
    report = {
        "uid": "sim-0001",
        "status": "pending",
        "code": "K7M2Q9XD",
        "expires_at": int(time.time()) + 900,
    }
    assert (await call(http, "POST", f"{sandbox.url}/api/devices", report))[0] == 204
    assert (await call(http, "POST", f"{sandbox.url}/api/devices", {"uid": "a b", "status": "pending"}))[
        0
    ] == 400
    assert (await call(http, "POST", f"{sandbox.url}/api/devices", {"uid": "sim-0002", "status": "?"}))[
        0
    ] == 400
    _, devices = await call(http, "GET", f"{sandbox.url}/api/devices")
    assert [(d["uid"], d["code"]) for d in devices] == [("sim-0001", "K7M2Q9XD")]

    assert (await call(http, "POST", f"{sandbox.url}/api/devices", {"uid": "sim-0001", "status": "paired"}))[
        0
    ] == 204
    _, devices = await call(http, "GET", f"{sandbox.url}/api/devices")
    assert [(d["uid"], d["status"], "code" in d) for d in devices] == [("sim-0001", "paired", False)]


async def test_the_page_hears_what_the_bot_does_through_server_sent_events(
    sandbox: SandboxProcess, http: aiohttp.ClientSession
) -> None:
    await sandbox.launch()
    _, carol = await call(http, "POST", f"{sandbox.url}/api/people", {"name": "Carol", "language": "en"})
    bot = Bot(settings.TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url)))
    try:
        async with http.get(f"{sandbox.url}/api/events") as stream:
            hello = [await stream.content.readline() for _ in range(3)]
            assert hello == [b"event: hello\n", b"data: {}\n", b"\n"]
            await call(http, "POST", f"{sandbox.url}/api/chats/{carol['id']}/send", {"text": "/start"})
            updates = await bot.get_updates(timeout=5)
            assert [u.message.text for u in updates if u.message] == ["/start"]
            await bot.send_message(carol["id"], "Hello, Carol!")
            events = []
            while len(events) < 2:
                line = await asyncio.wait_for(stream.content.readline(), 10)
                if line.startswith(b"data: "):
                    events.append(json.loads(line[6:]))
    finally:
        await bot.session.close()
    assert [(e["kind"], e["message"]["text"]) for e in events] == [
        ("message", "/start"),
        ("message", "Hello, Carol!"),
    ]
    _, chat = await call(http, "GET", f"{sandbox.url}/api/chats/{carol['id']}")
    assert [m["text"] for m in chat["messages"]] == ["/start", "Hello, Carol!"]
