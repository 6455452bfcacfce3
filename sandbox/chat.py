"""The web chat: people in a browser chatting with the real bot through the sandbox's Bot API server.

The page (`sandbox/static/`: plain HTML, CSS and one script) reads the chats as the server holds them and
follows every change over server-sent events; what a person types or presses becomes the same update Telegram
would send the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from sandbox.botapi import LAGGED, BotApiServer
from sandbox.devices import DevicePanel
from sandbox.limits import MESSAGE_LENGTH
from sandbox.people import TelegramUser
from sandbox.people_book import PeopleBook

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
LANGUAGES = ("en", "ru")
NAME_LENGTH = 64
KEEPALIVE_SECONDS = 15.0
SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


class WebChat:
    def __init__(self, server: BotApiServer, panel: DevicePanel, book: PeopleBook | None = None) -> None:
        self._server = server
        self._panel = panel
        self._book = book
        self._closing = asyncio.Event()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._page)
        app.router.add_static("/static/", STATIC)
        app.router.add_get("/api/state", self._state)
        app.router.add_post("/api/people", self._add_person)
        app.router.add_get("/api/chats/{person}", self._chat)
        app.router.add_post("/api/chats/{person}/send", self._send)
        app.router.add_post("/api/chats/{person}/press", self._press)
        app.router.add_get("/api/files/{file_id}", self._file)
        app.router.add_get("/api/events", self._events)
        app.on_shutdown.append(self._close)

    async def _close(self, _app: web.Application) -> None:
        self._closing.set()

    async def _page(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _state(self, _request: web.Request) -> web.Response:
        bot = self._server.bot_user
        return web.json_response(
            {
                "bot": {"name": bot["first_name"], "username": bot["username"]},
                "people": [person.as_person() for person in self._server.people()],
                "devices": self._panel.devices(),
            }
        )

    async def _add_person(self, request: web.Request) -> web.Response:
        body = await _json(request)
        name = str(body.get("name", "")).strip()
        language = str(body.get("language", "en"))
        if not 1 <= len(name) <= NAME_LENGTH or language not in LANGUAGES:
            raise _bad(f"a person needs a name (1-{NAME_LENGTH} characters) and a language: en or ru")
        person = self._server.user(name, language)
        if self._book is not None:
            self._book.save(self._server)
        return web.json_response(person.as_person())

    async def _chat(self, request: web.Request) -> web.Response:
        person = self._person(request)
        messages = sorted(self._server.chat_messages(person.id).values(), key=lambda m: m["message_id"])
        return web.json_response(
            {
                "person": person.as_person(),
                "messages": messages,
                "menu": self._server.menu(person.language_code),
            }
        )

    async def _send(self, request: web.Request) -> web.Response:
        person = self._person(request)
        text = str((await _json(request)).get("text", "")).strip()
        if not 1 <= len(text) <= MESSAGE_LENGTH:
            raise _bad(f"a message has 1 to {MESSAGE_LENGTH} characters")
        return web.json_response({"message_id": person.send(text)})

    async def _press(self, request: web.Request) -> web.Response:
        person = self._person(request)
        body = await _json(request)
        try:
            query_id = person.press_raw(str(body["data"]), int(body["message_id"]))
        except (KeyError, ValueError, LookupError) as error:
            raise _bad(f"no such button: {error}") from None
        return web.json_response({"query_id": query_id})

    async def _file(self, request: web.Request) -> web.Response:
        stored = self._server.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound(text="no such file")
        disposition = "attachment" if request.query.get("download") else "inline"
        headers = {"Content-Disposition": f'{disposition}; filename="{stored.name}"'}
        return web.Response(body=stored.content, content_type=stored.mime_type, headers=headers)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        with self._server.watch() as events:
            try:
                await response.write(b"event: hello\ndata: {}\n\n")
                while not self._closing.is_set():
                    event = await _next(events, self._closing)
                    if event is LAGGED:
                        break  # the page reconnects at once and reloads what it missed
                    line = b": keepalive\n\n" if event is None else _sse(event)
                    await response.write(line)
            except (ConnectionResetError, asyncio.CancelledError):
                pass
        return response

    def _person(self, request: web.Request) -> TelegramUser:
        try:
            person = self._server.person(int(request.match_info["person"]))
        except ValueError:
            person = None
        if person is None:
            raise web.HTTPNotFound(text="no such person")
        return person


async def _next(events: asyncio.Queue[dict[str, Any]], closing: asyncio.Event) -> dict[str, Any] | None:
    """The next event, or None after a quiet while (a keep-alive) or when the server stops."""
    getter = asyncio.ensure_future(events.get())
    stopper = asyncio.ensure_future(closing.wait())
    done, pending = await asyncio.wait(
        {getter, stopper}, timeout=KEEPALIVE_SECONDS, return_when="FIRST_COMPLETED"
    )
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return getter.result() if getter in done else None


def _sse(event: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(event, ensure_ascii=False).encode() + b"\n\n"


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise _bad("the body must be JSON") from None
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    return body


def _bad(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": reason}), content_type="application/json")
