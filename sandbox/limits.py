"""Telegram's limits on what a bot sends, checked the way the Bot API checks them, with its error texts.

A bot that passes here fails no differently in production: the numbers and descriptions are Telegram's
(https://core.telegram.org/bots/api and the errors its servers return).
"""

from __future__ import annotations

import math
import re
from typing import Any

from core.rate_limit import Buckets

MESSAGE_LENGTH = 4096  # UTF-16 code units, as Telegram counts
CAPTION_LENGTH = 1024
CALLBACK_DATA_BYTES = 64
CALLBACK_ANSWER_LENGTH = 200
# Buttons in one inline keyboard, all rows together: Telegram refuses more with "reply markup is too long".
# Not in the Bot API's documentation; measured by bot authors and collected by tginfo/Telegram-Limits.
INLINE_KEYBOARD_BUTTONS = 100
PHOTO_BYTES = 10 * 1024 * 1024
UPLOAD_BYTES = 50 * 1024 * 1024  # any file a bot uploads; above it the request itself is refused
DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile serves at most this much
PHOTO_DIMENSIONS_SUM = 10_000
PHOTO_RATIO = 20
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
COMMAND_DESCRIPTION_LENGTH = 256
FLOOD_RATE = 30.0  # messages per second over all chats
FLOOD_BURST = 30.0


class ApiError(Exception):
    """Answers a call with a Bot API error: `{"ok": false, "error_code", "description", "parameters"?}`."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def telegram_length(text: str) -> int:
    """Telegram measures text in UTF-16 code units: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def check_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise bad_request("message text is empty")
    if telegram_length(text) > MESSAGE_LENGTH:
        raise bad_request("message is too long")
    return text


def check_caption(caption: Any) -> str | None:
    if caption is None:
        return None
    if telegram_length(str(caption)) > CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return str(caption)


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Inline keyboards only (the bot uses nothing else), at most 100 buttons; every button must do something
    valid."""
    if not markup:
        return None
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if sum(len(row) for row in rows) > INLINE_KEYBOARD_BUTTONS:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            _check_button(button)
    return dict(markup)


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not str(button.get("text", "")).strip():
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    if "callback_data" in button:
        data = str(button["callback_data"]).encode()
        if not 1 <= len(data) <= CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    elif "url" in button:
        if not str(button["url"]).startswith(("http://", "https://", "tg://")):
            raise bad_request("BUTTON_URL_INVALID")
    else:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )


def check_photo(content: bytes) -> tuple[int, int]:
    """The photo's width and height, if Telegram would take it."""
    if len(content) > PHOTO_BYTES:
        raise bad_request("PHOTO_SAVE_FILE_INVALID")
    width, height = image_size(content)
    if not (width and height):
        raise bad_request("IMAGE_PROCESS_FAILED")
    if width + height > PHOTO_DIMENSIONS_SUM or max(width, height) / min(width, height) > PHOTO_RATIO:
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return width, height


def check_upload(content: bytes) -> None:
    if len(content) > UPLOAD_BYTES:
        raise ApiError(413, "Request Entity Too Large")


def image_size(content: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG (what charts and cameras produce); (0, 0) for anything else."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    if content.startswith(b"\xff\xd8"):
        return _jpeg_size(content)
    return 0, 0


def _jpeg_size(content: bytes) -> tuple[int, int]:
    index = 2
    while index + 9 < len(content):
        if content[index] != 0xFF:
            return 0, 0
        marker, length = content[index + 1], int.from_bytes(content[index + 2 : index + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):  # start of frame: height, then width
            return int.from_bytes(content[index + 7 : index + 9], "big"), int.from_bytes(
                content[index + 5 : index + 7], "big"
            )
        index += 2 + length
    return 0, 0


def check_commands(commands: Any) -> list[dict[str, str]]:
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not COMMAND_NAME.fullmatch(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= COMMAND_DESCRIPTION_LENGTH:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return commands


class FloodControl:
    """About 30 messages a second over all chats (one token bucket); beyond it, 429 with `retry_after`."""

    def __init__(self, rate: float = FLOOD_RATE, burst: float = FLOOD_BURST) -> None:
        self._bucket = Buckets(rate, burst)
        # Telegram names whole seconds: the time one message's token takes to come back, at least 1.
        self._retry_after = max(1, math.ceil(1 / rate))

    def take(self) -> None:
        if not self._bucket.allow("all chats"):
            retry_after = self._retry_after
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
