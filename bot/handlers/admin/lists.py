"""/users and /all_devices: one paged, searchable list each, built the same way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.admin import AdminOpen, AdminView
from bot.keyboards import admin as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.views.admin import list_title
from core.services.admin.devices import find_devices
from core.services.admin.search import clean_query
from core.services.admin.users import find_users

router = Router(name=__name__)


@dataclass(frozen=True, slots=True)
class Listing:
    title: str  # catalogue key
    find: Callable[[AsyncSession, str, int], Awaitable[Any]]
    keyboard: Callable[[Translator, Any, str], InlineKeyboardMarkup]


LISTINGS = {
    AdminView.USERS: Listing("admin-users-title", find_users, keyboards.user_list),
    AdminView.DEVICES: Listing("admin-devices-title", find_devices, keyboards.device_list),
}
COMMANDS = {"users": AdminView.USERS, "all_devices": AdminView.DEVICES}


async def listing(
    view: AdminView, session: AsyncSession, t: Translator, query: str | None, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The page of the list as text and buttons; `query` as the operator typed it (cleaned here)."""
    kind = LISTINGS[view]
    words = clean_query(query)
    found = await kind.find(session, words, page)
    return list_title(t, kind.title, found, words), kind.keyboard(t, found, words)


@router.message(Command(*COMMANDS))
async def open_list(
    message: Message, command: CommandObject, *, session: AsyncSession, t: Translator
) -> None:
    text, markup = await listing(COMMANDS[command.command], session, t, command.args, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(AdminOpen.filter(F.view.in_(LISTINGS)))
async def turn_page(
    callback: CallbackQuery, *, callback_data: AdminOpen, session: AsyncSession, t: Translator
) -> None:
    text, markup = await listing(callback_data.view, session, t, callback_data.query, callback_data.page)
    await show(callback, text, markup)
    await callback.answer()
