"""Update middlewares, wired in one place: a database session, the user (ignored if an operator blocked
them), then their language."""

from __future__ import annotations

from aiogram import Dispatcher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares.blocked_users import BlockedUsers
from bot.middlewares.command_resets_state import CommandResetsState
from bot.middlewares.database import DatabaseSession
from bot.middlewares.i18n import I18n
from bot.middlewares.user import UserContext
from bot.texts import Catalogue


def setup_middlewares(
    dispatcher: Dispatcher,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogue: Catalogue,
    default_timezone: str,
) -> None:
    # Outer middlewares on `update` run for every update before any filter, in registration order.
    dispatcher.update.outer_middleware(DatabaseSession(sessionmaker))
    dispatcher.update.outer_middleware(UserContext(default_timezone))
    dispatcher.update.outer_middleware(BlockedUsers())
    dispatcher.update.outer_middleware(I18n(catalogue))
    dispatcher.message.outer_middleware(CommandResetsState())
