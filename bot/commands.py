"""The command menu (setMyCommands), in every language of the catalogue."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand

from bot.texts import FALLBACK, Catalogue, Translator

# Features built later append their commands here, in menu order; each text is `command-<name>` in the
# feature's own .ftl file.
COMMANDS = [
    "start",
    "help",
    "add",
    "devices",
    "select",
    "status",
    "history",
    "export",
    "alerts",
    "digest",
    "live",
    "watch",
    "stop",
    "settings",
    "share",
    "billing",
    "update",
    "language",
]


def menu(t: Translator) -> list[BotCommand]:
    return [BotCommand(command=name, description=t(f"command-{name}")) for name in COMMANDS]


async def set_commands(bot: Bot, catalogue: Catalogue) -> None:
    """Telegram shows each user the menu of their client's language, the default one otherwise."""
    await bot.set_my_commands(menu(catalogue[FALLBACK]))
    for language in catalogue.languages:
        await bot.set_my_commands(menu(catalogue[language]), language_code=language)
