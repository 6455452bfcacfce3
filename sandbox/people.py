"""People in private chats with the bot: what they type and press, and what the bot did to their chat.

Tests drive a `TelegramUser` directly (`send`, `press`, `await next_message()`); the web chat drives the same
object from a browser. Either way the bot sees exactly the updates Telegram would send.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol


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

    @classmethod
    def of(cls, method: str, message: dict[str, Any], content: bytes | None) -> BotMessage:
        markup = message.get("reply_markup") or {}
        return cls(
            method=method,
            message_id=message["message_id"],
            text=message.get("text", message.get("caption")),
            buttons=[list(row) for row in markup.get("inline_keyboard", [])],
            content=content,
            raw=json.loads(json.dumps(message)),
        )


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    text: str | None
    show_alert: bool


class ChatServer(Protocol):
    """What a person needs from the Bot API double (sandbox.botapi.BotApiServer) to chat."""

    @property
    def callback_ids(self) -> Iterator[int]: ...

    def chat_messages(self, chat_id: int) -> dict[int, dict[str, Any]]: ...
    def next_message_id(self, chat_id: int) -> int: ...
    def push_update(self, body: dict[str, Any]) -> int: ...


class TelegramUser:
    """A person in a private chat with the bot."""

    def __init__(
        self,
        server: ChatServer,
        user_id: int,
        first_name: str,
        language_code: str,
        username: str | None,
        *,
        keeps_inbox: bool = True,
    ) -> None:
        self.double = server
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.username = username
        # A test reads what arrives; the long-running sandbox keeps no queue nobody reads.
        self.keeps_inbox = keeps_inbox
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
        message: dict[str, Any] = {
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
        async with asyncio.timeout(timeout):
            return await self.inbox.get()

    async def next_answer(self, timeout: float = 10.0) -> CallbackAnswer:  # noqa: ASYNC109 - as next_message
        """The bot's next answerCallbackQuery to one of this user's button presses."""
        async with asyncio.timeout(timeout):
            return await self.answers.get()

    def drain(self) -> list[BotMessage]:
        """Forget everything received so far (returns it)."""
        drained = []
        while not self.inbox.empty():
            drained.append(self.inbox.get_nowait())
        while not self.answers.empty():
            self.answers.get_nowait()
        return drained

    def receive(self, event: BotMessage) -> None:
        if self.keeps_inbox:
            self.inbox.put_nowait(event)

    def answered(self, answer: CallbackAnswer) -> None:
        if self.keeps_inbox:
            self.answers.put_nowait(answer)

    def as_person(self) -> dict[str, Any]:
        """How the web chat lists this person."""
        return {"id": self.id, "name": self.first_name, "language": self.language_code}
