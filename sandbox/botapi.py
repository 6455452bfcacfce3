"""The sandbox's Telegram Bot API server (aiohttp): the subset SmartAir's bot uses, with Telegram's limits.

The real bot talks to it over real HTTP (point TELEGRAM_API_URL at `server.url`). People are `TelegramUser`s:
tests drive them directly, the web chat (`sandbox.chat`) drives them from a browser. Every call is recorded in
`server.calls` (tests only: `record=False` keeps nothing); `block()` and `throttle()` make a chat answer 403
"bot was blocked by the user" or 429 with retry_after, as Telegram does.

    server = BotApiServer()
    await server.start()
    alice = server.user("Alice", language_code="en")
    alice.send("/add K7M2Q9XD")
    reply = await alice.next_message()
    alice.press("🗑 Remove")
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from core.retry import wait_event
from sandbox import limits
from sandbox.files import FileStore, StoredFile
from sandbox.limits import ApiError, bad_request
from sandbox.people import BotMessage, CallbackAnswer, TelegramUser
from sandbox.ports import free_port
from sandbox.webhook import WebhookSender

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiDouble",
    "BotApiServer",
    "BotMessage",
    "CallbackAnswer",
    "TelegramUser",
]

log = logging.getLogger(__name__)

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
_NEW_MESSAGES = {"sendMessage", "sendPhoto", "sendDocument"}  # what Telegram's ≈30 messages/s counts
_FIRST_USER_ID = 100_001
WATCH_BACKLOG = 1000  # events a watcher may have unread before it is dropped
LAGGED: dict[str, Any] = {"kind": "lagged"}  # the last event a dropped watcher gets
# Which keys of a message hold the part an edit method changes.
_EDITABLE_PARTS = {"text": ("text",), "caption": ("photo", "document"), "media": ("photo", "document")}


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One request the bot made, with its parameters decoded (JSON fields parsed, files as bytes)."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic()
    error: int | None = None  # the error code the server answered with, if any


class BotApiServer:
    """One bot token, any number of people in private chats with it."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        username: str = "smartair_test_bot",
        *,
        port: int | None = None,
        record: bool = True,
        flood: limits.FloodControl | None = None,
    ) -> None:
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
        self.port = free_port() if port is None else port
        self.record = record
        self.calls: list[ApiCall] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.callback_ids = itertools.count(1)
        self.files = FileStore()
        self._flood = flood or limits.FloodControl()
        self._user_ids = itertools.count(_FIRST_USER_ID)
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
        self._watchers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._webhook: WebhookSender | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False

    # ---- lifecycle -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_routes(self, app: web.Application) -> None:
        """Serve the Bot API from `app` (the sandbox serves it beside its web chat)."""
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        app.on_shutdown.append(lambda _app: self.close_polls())

    async def start(self) -> None:
        """Serve the Bot API alone on `self.port` (tests and benchmarks)."""
        app = web.Application(client_max_size=limits.UPLOAD_BYTES + 1024 * 1024)
        self.add_routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def close_polls(self) -> None:
        """Release a long poll still waiting and stop webhook delivery, so the server shuts down at once."""
        self._closing = True
        self._new_update.set()
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None

    async def close(self) -> None:
        await self.close_polls()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- people and chats ------------------------------------------------------------------------------

    def user(
        self,
        first_name: str = "Alice",
        language_code: str = "en",
        username: str | None = None,
        *,
        user_id: int | None = None,
    ) -> TelegramUser:
        """A new Telegram user with a fresh id (or a known one: a person the bot met before a restart)."""
        if user_id is None:
            user_id = next(self._user_ids)
        elif user_id >= self._next_user_id():
            self._user_ids = itertools.count(user_id + 1)
        person = TelegramUser(self, user_id, first_name, language_code, username, keeps_inbox=self.record)
        self._users[person.id] = person
        self.publish({"kind": "person", "person": person.as_person()})
        return person

    def _next_user_id(self) -> int:
        upcoming = next(self._user_ids)
        self._user_ids = itertools.count(upcoming)
        return upcoming

    def people(self) -> list[TelegramUser]:
        return list(self._users.values())

    def person(self, user_id: int) -> TelegramUser | None:
        return self._users.get(user_id)

    def menu(self, language_code: str) -> list[dict[str, Any]]:
        """The command menu a client in this language shows (setMyCommands), the default one otherwise."""
        return self.commands.get(("default", language_code)) or self.commands.get(("default", ""), [])

    def block(self, chat_id: int) -> None:
        """From now on, sending to this chat fails with 403 as when the user blocked the bot."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def throttle(self, chat_id: int, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` sends to this chat answer 429 Too Many Requests with `retry_after`."""
        self._throttled[chat_id] = (retry_after, times)

    def unthrottle(self, chat_id: int) -> None:
        """Sends to this chat go through again (what throttle() had left is forgotten)."""
        self._throttled.pop(chat_id, None)

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
            await wait_event(self._new_call, remaining)

    def chat_messages(self, chat_id: int) -> dict[int, dict[str, Any]]:
        """The chat as it stands now: message id -> message, edits applied."""
        return self._chats.setdefault(chat_id, {})

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def push_update(self, body: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        if "message" in body:
            message = body["message"]
            self.chat_messages(message["chat"]["id"])[message["message_id"]] = message
            self.publish({"kind": "message", "chat_id": message["chat"]["id"], "message": message})
        if "callback_query" in body:
            self._pending_queries[body["callback_query"]["id"]] = body["callback_query"]["from"]["id"]
        update = {"update_id": update_id, **body}
        if self._webhook is not None:
            self._webhook.push(update)
        else:
            self._updates.append(update)
            self._new_update.set()
        return update_id

    @contextlib.contextmanager
    def watch(self) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        """Every change to any chat, as events: message, edit, delete, answer, action, person, menu."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=WATCH_BACKLOG)
        self._watchers.add(queue)
        try:
            yield queue
        finally:
            self._watchers.discard(queue)

    def publish(self, event: dict[str, Any]) -> None:
        for queue in list(self._watchers):
            if queue.qsize() < WATCH_BACKLOG - 1:
                queue.put_nowait(event)
            elif not queue.full():
                # A watcher too far behind is told to start again (a page reconnects and reloads its chat).
                queue.put_nowait(LAGGED)
                self._watchers.discard(queue)

    # ---- HTTP ----------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        if request.content_length is not None and request.content_length > limits.UPLOAD_BYTES + 1024 * 1024:
            return _error(ApiError(413, "Request Entity Too Large"))
        try:
            params = await _read_params(request)
        except (ValueError, web.HTTPRequestEntityTooLarge):
            return _error(bad_request("can't parse request parameters"))
        # Recorded on arrival: a long poll shows up while it waits, not when it returns.
        index = len(self.calls)
        if self.record:
            self.calls.append(ApiCall(method, params, time.monotonic()))
            self._new_call.set()
        try:
            result = await self._dispatch(method, params)
        except ApiError as error:
            if self.record:
                self.calls[index] = dataclasses.replace(self.calls[index], error=error.status)
            return _error(error)
        except (KeyError, TypeError, ValueError) as error:
            # A missing or malformed parameter: Telegram names it in a 400, it never fails as a server.
            if self.record:
                self.calls[index] = dataclasses.replace(self.calls[index], error=400)
            return _error(bad_request(f"invalid parameters: {error}"))
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        stored = self.files.at_path(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=stored.content, content_type=stored.mime_type)

    async def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found")
        if method in _OUTGOING:
            self._check_reachable(_chat_id(params))
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

    # ---- Bot API: the bot itself, updates, webhook, commands ---------------------------------------------

    async def _api_getMe(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Bot API method names
        return self.bot_user

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:  # noqa: N802
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first",
            )
        offset = int(params.get("offset", 0))
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        deadline = time.monotonic() + min(float(params.get("timeout", 0)), 50.0)
        while True:
            # Confirmed updates (below offset) are forgotten, as Telegram does.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._new_update.clear()
            remaining = deadline - time.monotonic()
            if self._updates or remaining <= 0 or self._closing:
                return self._updates[:limit]
            await wait_event(self._new_update, remaining)

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:  # noqa: N802
        url = str(params.get("url", ""))
        if not url:
            return await self._api_deleteWebhook(params)
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if self._webhook is not None:
            await self._webhook.stop()
        self._webhook = WebhookSender(url, params.get("secret_token"))
        # Updates nobody fetched yet now go to the webhook, in order.
        for update in self._updates:
            self._webhook.push(update)
        self._updates = []
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:  # noqa: N802
        if self._webhook is not None:
            pending = await self._webhook.stop()
            self._webhook = None
            if not _flag(params.get("drop_pending_updates")):
                self._updates = pending + self._updates
        if _flag(params.get("drop_pending_updates")):
            self._updates = []
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> Any:  # noqa: N802
        if self._webhook is None:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}
        return self._webhook.info()

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:  # noqa: N802
        scope = (params.get("scope") or {}).get("type", "default")
        language = params.get("language_code", "")
        self.commands[(scope, language)] = limits.check_commands(params["commands"])
        self.publish({"kind": "menu", "language": language})
        return True

    async def _api_deleteMyCommands(self, params: dict[str, Any]) -> Any:  # noqa: N802
        scope = (params.get("scope") or {}).get("type", "default")
        self.commands.pop((scope, params.get("language_code", "")), None)
        return True

    async def _api_getMyCommands(self, params: dict[str, Any]) -> Any:  # noqa: N802
        scope = (params.get("scope") or {}).get("type", "default")
        return self.commands.get((scope, params.get("language_code", "")), [])

    # ---- Bot API: chats ------------------------------------------------------------------------------------

    async def _api_sendChatAction(self, params: dict[str, Any]) -> Any:  # noqa: N802
        chat_id = self._known_chat(params)
        self.publish({"kind": "action", "chat_id": chat_id, "action": str(params.get("action", "typing"))})
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:  # noqa: N802
        query_id = str(params["callback_query_id"])
        user_id = self._pending_queries.pop(query_id, None)
        if user_id is None:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and limits.telegram_length(str(text)) > limits.CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        answer = CallbackAnswer(text, _flag(params.get("show_alert")))
        self._users[user_id].answered(answer)
        self.publish(
            {
                "kind": "answer",
                "chat_id": user_id,
                "query_id": query_id,
                "text": text,
                "alert": answer.show_alert,
            }
        )
        return True

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:  # noqa: N802
        text = limits.check_text(params.get("text"))
        return self._new_bot_message("sendMessage", params, {"text": text})

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:  # noqa: N802
        stored = self._upload(params, "photo", "photos")
        width, height = limits.check_photo(stored.content)
        photo = [stored.as_telegram() | {"width": width, "height": height}]
        return self._new_bot_message("sendPhoto", params, {"photo": photo}, stored.content)

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:  # noqa: N802
        stored = self._upload(params, "document", "documents")
        return self._new_bot_message("sendDocument", params, {"document": _document(stored)}, stored.content)

    async def _api_getFile(self, params: dict[str, Any]) -> Any:  # noqa: N802
        stored = self.files.get(str(params.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.content) > limits.DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return stored.as_telegram() | {"file_path": stored.file_path}

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:  # noqa: N802
        message = self._message_to_edit(params, "text")
        return self._edit("editMessageText", message, params, {"text": limits.check_text(params.get("text"))})

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:  # noqa: N802
        return self._edit("editMessageReplyMarkup", self._message_to_edit(params), params, {})

    async def _api_editMessageCaption(self, params: dict[str, Any]) -> Any:  # noqa: N802
        message = self._message_to_edit(params, "caption")
        caption = limits.check_caption(params.get("caption"))
        return self._edit("editMessageCaption", message, params, {"caption": caption})

    async def _api_editMessageMedia(self, params: dict[str, Any]) -> Any:  # noqa: N802
        message = self._message_to_edit(params, "media")
        media = params["media"]
        kind = media.get("type", "photo")
        if kind not in ("photo", "document"):
            raise bad_request(f"unsupported media type {kind}")
        stored = self._upload({**params, kind: media.get("media")}, kind, f"{kind}s")
        changes: dict[str, Any] = {"photo": None, "document": None}
        if kind == "photo":
            width, height = limits.check_photo(stored.content)
            changes["photo"] = [stored.as_telegram() | {"width": width, "height": height}]
        else:
            changes["document"] = _document(stored)
        changes["caption"] = limits.check_caption(media.get("caption"))
        return self._edit("editMessageMedia", message, params, changes, stored.content)

    async def _api_deleteMessage(self, params: dict[str, Any]) -> Any:  # noqa: N802
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        if self.chat_messages(chat_id).pop(message_id, None) is None:
            raise bad_request("message to delete not found")
        self._deliver(chat_id, BotMessage("deleteMessage", message_id, None, []))
        self.publish({"kind": "delete", "chat_id": chat_id, "message_id": message_id})
        return True

    # ---- chat state --------------------------------------------------------------------------------------

    def _known_chat(self, params: dict[str, Any]) -> int:
        chat_id = _chat_id(params)
        if chat_id is None or chat_id not in self._users:
            raise bad_request("chat not found")
        return chat_id

    def _upload(self, params: dict[str, Any], key: str, kind: str) -> StoredFile:
        """The file a call sends: uploaded now (inline or `attach://<field>`), or sent before (file_id)."""
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            key = value.removeprefix("attach://")
            value = params.get(key)
        if isinstance(value, bytes):
            limits.check_upload(value)
            return self.files.add(kind, value, params.get(f"_filename_{key}") or "file")
        stored = self.files.get(str(value)) if value else None
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored

    def _new_bot_message(
        self, method: str, params: dict[str, Any], body: dict[str, Any], content: bytes | None = None
    ) -> dict[str, Any]:
        chat_id = self._known_chat(params)
        caption = limits.check_caption(params.get("caption"))
        markup = limits.check_reply_markup(params.get("reply_markup"))
        if method in _NEW_MESSAGES:
            self._flood.take()
        message: dict[str, Any] = {
            "message_id": self.next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._users[chat_id].chat,
            "from": self.bot_user,
            **body,
        }
        if caption is not None:
            message["caption"] = caption
        if markup:
            message["reply_markup"] = markup
        self.chat_messages(chat_id)[message["message_id"]] = message
        self._deliver(chat_id, BotMessage.of(method, message, content))
        self.publish({"kind": "message", "chat_id": chat_id, "message": message})
        return message

    def _message_to_edit(self, params: dict[str, Any], part: str | None = None) -> dict[str, Any]:
        """The bot's own message the call edits; `part` (text, caption, media) must be one it has."""
        chat_id, message_id = _chat_id(params), int(params.get("message_id", 0))
        message = self.chat_messages(chat_id or 0).get(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if not message["from"].get("is_bot"):
            raise bad_request("message can't be edited")
        if part is not None and not any(key in message for key in _EDITABLE_PARTS[part]):
            raise bad_request(f"there is no {part} in the message to edit")
        return message

    def _edit(
        self,
        method: str,
        message: dict[str, Any],
        params: dict[str, Any],
        changes: dict[str, Any],
        content: bytes | None = None,
    ) -> dict[str, Any]:
        """Apply an edit; every edit method also sets (or, left out, removes) the inline keyboard."""
        changes = changes | {"reply_markup": limits.check_reply_markup(params.get("reply_markup"))}
        if all(message.get(key) == value for key, value in changes.items()):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(time.time())
        chat_id = message["chat"]["id"]
        self._deliver(chat_id, BotMessage.of(method, message, content))
        self.publish({"kind": "edit", "chat_id": chat_id, "message": message})
        return message

    def _deliver(self, chat_id: int, event: BotMessage) -> None:
        self._users[chat_id].receive(event)


# The name the tests have always used for it.
BotApiDouble = BotApiServer


async def _read_params(request: web.Request) -> dict[str, Any]:
    """aiogram sends form data (multipart when a file is attached); JSON-valued fields are decoded."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params |= await request.json()
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = value.file.read()
                params[f"_filename_{key}"] = value.filename
            else:
                params[key] = json.loads(value) if key in _JSON_FIELDS else value
    return params


def _document(stored: StoredFile) -> dict[str, Any]:
    return stored.as_telegram() | {"file_name": stored.name, "mime_type": stored.mime_type}


def _chat_id(params: dict[str, Any]) -> int | None:
    value = params.get("chat_id")
    return int(value) if value is not None else None


def _flag(value: Any) -> bool:
    return str(value).lower() in {"true", "1"}


def _error(error: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": error.status, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return web.json_response(body, status=error.status)
