"""Picks the texts for the update: the user's stored language, else their Telegram client's."""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.middlewares.base import Data, Next
from bot.texts import Catalogue, Translator
from core.models import User
from core.services.users import language_for


def translator_for(catalogue: Catalogue, data: dict[str, Any]) -> Translator:
    """The update's texts: the user's stored language, else their Telegram client's."""
    user: User | None = data.get("user")
    if user is not None:
        return catalogue[user.language]
    sender = data.get("event_from_user")
    return catalogue[language_for(sender.language_code if sender else None)]


class I18n(BaseMiddleware):
    """Puts `t`, the Translator of the update's language, into the handler's data."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    async def __call__(self, handler: Next, event: TelegramObject, data: Data) -> Any:
        data["t"] = translator_for(self._catalogue, data)
        return await handler(event, data)
