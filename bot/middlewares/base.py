"""aiogram's update-middleware signature, spelled once: `__call__(self, handler: Next, event, data: Data)`."""

from __future__ import annotations

from typing import Any

from aiogram.dispatcher.event.bases import NextMiddlewareType
from aiogram.types import TelegramObject

# The rest of the chain (further middlewares, then the handler), and the data it receives.
Next = NextMiddlewareType[TelegramObject]
Data = dict[str, Any]
