"""A local Bot API double: an aiohttp server that speaks enough of the Telegram Bot API for SmartAir's bot.

The bot under test talks to it over real HTTP (point TELEGRAM_API_URL at `double.url`). Tests act as
Telegram users through `double.user(...)`: send messages, press inline buttons, and await what the bot
sends to their chat. Every call is recorded in `double.calls`; `block()` and `throttle()` make a chat
answer 403 "bot was blocked by the user" or 429 with retry_after, as Telegram does.

    double = BotApiDouble()
    await double.start()
    alice = double.user("Alice", language_code="en")
    alice.send("/add K7M2Q9XD")
    reply = await alice.next_message()
    alice.press("🗑 Remove")
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.ports import free_port

DEFAULT_TOKEN = "123456:TEST-double-token"
# Parameters the Bot API carries as JSON inside form fields.
_JSON_FIELDS = {
    "reply_markup",
    "commands",
    "scope",
    "entities",
    "caption_entities",
    "media",
    "allowed_updates",
    "link_preview_options",
    "reply_parameters",
}
_OUTGOING = {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"}
_OUTGOING |= {"editMessageMedia", "editMessageCaption", "deleteMessage"}


class ApiError(Exception):
    """Raised inside the double to answer a call with a Bot API error."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One request the bot made, with its parameters decoded (JSON fields parsed, files as bytes)."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic()
    error: int | None = None  # the error code the double answered with, if any


@dataclass(frozen=True, slots=True)
class BotMessage:
    """Something the bot did to a chat: a new message, an edit, a deletion."""

    method: str
    message_id: int
    text: str | None  # text, or caption of a photo/document
    buttons: list[list[dict[str, Any]]]
    content: bytes | None = None  # photo/document bytes
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def button_texts(self) -> list[str]:
        return [button["text"] for row in self.buttons for button in row]

    def button(self, text_or_data: str) -> dict[str, Any]:
        for row in self.buttons:
            for button in row:
                if text_or_data in (button.get("text"), button.get("callback_data")):
                    return button
        raise LookupError(f"no button {text_or_data!r} in {self.button_texts}")


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    text: str | None
    show_alert: bool


class TelegramUser:
    """A person in a private chat with the bot, driven by a test."""

    def __init__(
        self, double: BotApiDouble, user_id: int, first_name: str, language_code: str, username: str | None
    ) -> None:
        self.double = double
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.username = username
        self.inbox: asyncio.Queue[BotMessage] = asyncio.Queue()
        self.answers: asyncio.Queue[CallbackAnswer] = asyncio.Queue()

    @property
    def as_telegram(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        user["language_code"] = self.language_code
        if self.username:
            user["username"] = self.username
        return user

    @property
    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}

    def send(self, text: str) -> int:
        """Type a message to the bot; returns its message id."""
        message = {
            "message_id": self.double.next_message_id(self.id),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.as_telegram,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self.double.push_update({"message": message})
        return int(message["message_id"])

    def press(self, text_or_data: str) -> str:
        """Press the newest inline button in this chat whose text or callback data matches."""
        for message in reversed(list(self.double.chat_messages(self.id).values())):
            markup = message.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if text_or_data in (button.get("text"), button.get("callback_data")):
                        if "callback_data" not in button:
                            raise LookupError(f"button {text_or_data!r} opens a URL, it cannot be pressed")
                        return self.press_raw(button["callback_data"], message["message_id"])
        raise LookupError(f"no button {text_or_data!r} in chat {self.id}")

    def press_raw(self, data: str, message_id: int | None = None) -> str:
        """Send arbitrary callback data, as a modified client could: the bot must not trust it."""
        messages = self.double.chat_messages(self.id)
        if message_id is None:
            message_id = max((mid for mid, m in messages.items() if m["from"].get("is_bot")), default=None)
        if message_id is None or message_id not in messages:
            raise LookupError(f"no bot message to press a button on in chat {self.id}")
        query_id = str(next(self.double.callback_ids))
        self.double.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.as_telegram,
                    "chat_instance": str(self.id),
                    "message": messages[message_id],
                    "data": data,
                }
            }
        )
        return query_id

    async def next_message(self, timeout: float = 10.0) -> BotMessage:  # noqa: ASYNC109 - reads as a test step
        """The next thing the bot does to this chat (send, edit, delete), in order."""
        return await asyncio.wait_for(self.inbox.get(), timeout)

    async def next_answer(self, timeout: float = 10.0) -> CallbackAnswer:  # noqa: ASYNC109 - as next_message
        """The bot's next answerCallbackQuery to one of this user's button presses."""
        return await asyncio.wait_for(self.answers.get(), timeout)

    def drain(self) -> list[BotMessage]:
        """Forget everything received so far (returns it)."""
        drained = []
        while not self.inbox.empty():
            drained.append(self.inbox.get_nowait())
        while not self.answers.empty():
            self.answers.get_nowait()
        return drained


class BotApiDouble:
    """The fake Bot API server. One instance can serve one bot token and any number of users."""

    def __init__(self, token: str = DEFAULT_TOKEN, username: str = "smartair_test_bot") -> None:
        self.token = token
        self.bot_user = {
            "id": int(token.split(":", maxsplit=1)[0]),
            "is_bot": True,
            "first_name": "SmartAir",
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.port = free_port()
        self.calls: list[ApiCall] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.callback_ids = itertools.count(1)
        self._user_ids = itertools.count(100_001)
        self._update_ids = itertools.count(1)
        self._updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._chats: dict[int, dict[int, dict[str, Any]]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._users: dict[int, TelegramUser] = {}
        self._pending_queries: dict[str, int] = {}
        self._blocked: set[int] = set()
        self._throttled: dict[int, tuple[int, int]] = {}  # chat id -> (retry_after, times left)
        self._runner: web.AppRunner | None = None
        self._closing = False

    # ---- lifecycle -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def close(self) -> None:
        # Release a long poll still waiting, so the server shuts down at once.
        self._closing = True
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- what tests use ------------------------------------------------------------------------------

    def user(
        self, first_name: str = "Alice", language_code: str = "en", username: str | None = None
    ) -> TelegramUser:
        """A new Telegram user with a fresh id."""
        person = TelegramUser(self, next(self._user_ids), first_name, language_code, username)
        self._users[person.id] = person
        return person

    def block(self, chat_id: int) -> None:
        """From now on, sending to this chat fails with 403 as when the user blocked the bot."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def throttle(self, chat_id: int, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` sends to this chat answer 429 Too Many Requests with `retry_after`."""
        self._throttled[chat_id] = (retry_after, times)

    def calls_to(self, method: str, chat_id: int | None = None) -> list[ApiCall]:
        return [
            call
            for call in self.calls
            if call.method == method and (chat_id is None or _chat_id(call.params) == chat_id)
        ]

    async def wait_for_call(self, method: str, timeout: float = 10.0, after: int = 0) -> ApiCall:  # noqa: ASYNC109
        """The first call to `method` at index >= `after` in `calls`, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls[after:]:
                if call.method == method:
                    return call
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {method} call within {timeout} s")
            self._new_call.clear()
            try:
                await asyncio.wait_for(self._new_call.wait(), remaining)
            except TimeoutError:
                continue

    def chat_messages(self, chat_id: int) -> dict[int, dict[str, Any]]:
        """The chat as it stands now: message id -> message, edits applied."""
        return self._chats.setdefault(chat_id, {})

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def push_update(self, body: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        if "message" in body:
            self.chat_messages(body["message"]["chat"]["id"])[body["message"]["message_id"]] = body["message"]
        if "callback_query" in body:
            self._pending_queries[body["callback_query"]["id"]] = body["callback_query"]["from"]["id"]
        self._updates.append({"update_id": update_id, **body})
        self._new_update.set()
        return update_id

    # ---- HTTP ----------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params = await _read_params(request)
        # Recorded on arrival: a long poll shows up while it waits, not when it returns.
        index = len(self.calls)
        self.calls.append(ApiCall(method, params, time.monotonic()))
        self._new_call.set()
        try:
            result = await self._dispatch(method, params)
        except ApiError as error:
            self.calls[index] = dataclasses.replace(self.calls[index], error=error.status)
            return _error(error.status, error.description, error.parameters)
        return web.json_response({"ok": True, "result": result})

    async def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        if method in _OUTGOING:
            self._check_reachable(_chat_id(params))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return await handler(params)

    def _check_reachable(self, chat_id: int | None) -> None:
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id is not None and chat_id in self._throttled:
            retry_after, times = self._throttled[chat_id]
            if times <= 1:
                del self._throttled[chat_id]
            else:
                self._throttled[chat_id] = (retry_after, times - 1)
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

    # ---- Bot API methods -------------------------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Bot API method names
        return self.bot_user

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:  # noqa: N802
        offset = int(params.get("offset", 0))
        limit = int(params.get("limit", 100))
        deadline = time.monotonic() + float(params.get("timeout", 0))
        while True:
            # Confirmed updates (below offset) are forgotten, as Telegram does.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._new_update.clear()
            remaining = deadline - time.monotonic()
            if self._updates or remaining <= 0 or self._closing:
                return self._updates[:limit]
            try:
                await asyncio.wait_for(self._new_update.wait(), remaining)
            except TimeoutError:
                continue

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:  # noqa: N802
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:  # noqa: N802
        scope = (params.get("scope") or {}).get("type", "default")
        self.commands[(scope, params.get("language_code", ""))] = params["commands"]
        return True

    async def _api_deleteMyCommands(self, params: dict[str, Any]) -> Any:  # noqa: N802
        scope = (params.get("scope") or {}).get("type", "default")
        self.commands.pop((scope, params.get("language_code", "")), None)
        return True

    async def _api_sendChatAction(self, params: dict[str, Any]) -> Any:  # noqa: N802
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:  # noqa: N802
        user_id = self._pending_queries.pop(str(params["callback_query_id"]), None)
        if user_id is None:
            raise ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        answer = CallbackAnswer(params.get("text"), _flag(params.get("show_alert")))
        self._users[user_id].answers.put_nowait(answer)
        return True

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:  # noqa: N802
        return self._new_bot_message("sendMessage", params, {"text": params["text"]})

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:  # noqa: N802
        content, _ = _file(params, "photo")
        photo = [{"file_id": f"photo-{len(self.calls)}", "file_unique_id": f"p{len(self.calls)}"}]
        photo[0] |= {"width": 1, "height": 1, "file_size": len(content or b"")}
        return self._new_bot_message("sendPhoto", params, {"photo": photo}, content)

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:  # noqa: N802
        content, file_name = _file(params, "document")
        document = {"file_id": f"doc-{len(self.calls)}", "file_unique_id": f"d{len(self.calls)}"}
        document |= {"file_name": file_name or "file", "file_size": len(content or b"")}
        return self._new_bot_message("sendDocument", params, {"document": document}, content)

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:  # noqa: N802
        message = self._message_to_edit(params)
        changes = {"text": params["text"], "reply_markup": params.get("reply_markup")}
        if all(message.get(key) == value for key, value in changes.items()):
            raise ApiError(400, "Bad Request: message is not modified")
        return self._edit("editMessageText", message, changes)

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:  # noqa: N802
        message = self._message_to_edit(params)
        if message.get("reply_markup") == params.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        return self._edit("editMessageReplyMarkup", message, {"reply_markup": params.get("reply_markup")})

    async def _api_editMessageCaption(self, params: dict[str, Any]) -> Any:  # noqa: N802
        message = self._message_to_edit(params)
        changes = {"caption": params.get("caption"), "reply_markup": params.get("reply_markup")}
        return self._edit("editMessageCaption", message, changes)

    async def _api_editMessageMedia(self, params: dict[str, Any]) -> Any:  # noqa: N802
        message = self._message_to_edit(params)
        media = params["media"]
        attached = str(media.get("media", ""))
        content = params.get(attached.removeprefix("attach://")) if attached.startswith("attach://") else None
        kind = media.get("type", "photo")
        file = {"file_id": f"{kind}-{len(self.calls)}", "file_unique_id": f"m{len(self.calls)}"}
        changes: dict[str, Any] = {kind: [file | {"width": 1, "height": 1}] if kind == "photo" else file}
        changes |= {"caption": media.get("caption"), "reply_markup": params.get("reply_markup")}
        return self._edit(
            "editMessageMedia", message, changes, content if isinstance(content, bytes) else None
        )

    async def _api_deleteMessage(self, params: dict[str, Any]) -> Any:  # noqa: N802
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        if self.chat_messages(chat_id).pop(message_id, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        self._deliver(chat_id, BotMessage("deleteMessage", message_id, None, []))
        return True

    # ---- chat state --------------------------------------------------------------------------------------

    def _new_bot_message(
        self, method: str, params: dict[str, Any], body: dict[str, Any], content: bytes | None = None
    ) -> dict[str, Any]:
        chat_id = _chat_id(params)
        if chat_id is None or chat_id not in self._users:
            raise ApiError(400, "Bad Request: chat not found")
        message: dict[str, Any] = {
            "message_id": self.next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._users[chat_id].chat,
            "from": self.bot_user,
            **body,
        }
        if params.get("caption") is not None:
            message["caption"] = params["caption"]
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.chat_messages(chat_id)[message["message_id"]] = message
        self._deliver(chat_id, _as_bot_message(method, message, content))
        return message

    def _message_to_edit(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message_id = _chat_id(params), int(params.get("message_id", 0))
        message = self.chat_messages(chat_id or 0).get(message_id)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not message["from"].get("is_bot"):
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _edit(
        self, method: str, message: dict[str, Any], changes: dict[str, Any], content: bytes | None = None
    ) -> dict[str, Any]:
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(time.time())
        self._deliver(message["chat"]["id"], _as_bot_message(method, message, content))
        return message

    def _deliver(self, chat_id: int, event: BotMessage) -> None:
        self._users[chat_id].inbox.put_nowait(event)


def _as_bot_message(method: str, message: dict[str, Any], content: bytes | None) -> BotMessage:
    markup = message.get("reply_markup") or {}
    return BotMessage(
        method=method,
        message_id=message["message_id"],
        text=message.get("text", message.get("caption")),
        buttons=[list(row) for row in markup.get("inline_keyboard", [])],
        content=content,
        raw=json.loads(json.dumps(message)),
    )


async def _read_params(request: web.Request) -> dict[str, Any]:
    """aiogram sends form data (multipart when a file is attached); JSON-valued fields are decoded."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = value.file.read()
                params[f"_filename_{key}"] = value.filename
            else:
                params[key] = json.loads(value) if key in _JSON_FIELDS else value
    return params


def _file(params: dict[str, Any], key: str) -> tuple[bytes | None, str | None]:
    """The uploaded bytes and file name of a file parameter, sent inline or as `attach://<field>`."""
    value = params.get(key)
    if isinstance(value, str) and value.startswith("attach://"):
        key = value.removeprefix("attach://")
        value = params.get(key)
    if isinstance(value, bytes):
        return value, params.get(f"_filename_{key}")
    return None, None


def _chat_id(params: dict[str, Any]) -> int | None:
    value = params.get("chat_id")
    return int(value) if value is not None else None


def _flag(value: Any) -> bool:
    return str(value).lower() in {"true", "1"}


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
