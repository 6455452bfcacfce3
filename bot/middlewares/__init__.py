"""Update middlewares, wired in one place: a database session, the user (ignored if an operator blocked
them), then their language."""

from __future__ import annotations

from aiogram import Dispatcher

from bot.middlewares.blocked_users import BlockedUsers
from bot.middlewares.command_resets_state import CommandResetsState
from bot.middlewares.database import DatabaseSession
from bot.middlewares.i18n import I18n
from bot.middlewares.user import UserContext
from bot.texts import Catalogue
from core.db import make_engine, make_sessionmaker


def setup_middlewares(
    dispatcher: Dispatcher,
    database_url: str,
    catalogue: Catalogue,
    default_timezone: str,
) -> None:
    # Updates get their sessions from a pool of their own, without pre-ping: SQLAlchemy's asyncpg ping is
    # three round trips, more than a /status needs for its own work; UserContext, whose lookup is every
    # update's first statement, replaces a connection PostgreSQL dropped instead.
    engine = make_engine(database_url, pre_ping=False)
    dispatcher.shutdown.register(engine.dispose)
    # Outer middlewares on `update` run for every update before any filter, in registration order.
    dispatcher.update.outer_middleware(DatabaseSession(make_sessionmaker(engine)))
    dispatcher.update.outer_middleware(UserContext(default_timezone))
    dispatcher.update.outer_middleware(BlockedUsers())
    dispatcher.update.outer_middleware(I18n(catalogue))
    dispatcher.message.outer_middleware(CommandResetsState())
