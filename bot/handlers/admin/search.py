"""The Search button of /users and /all_devices: the operator types the words, the list answers."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.admin import AdminSearch, AdminView
from bot.handlers.admin.lists import listing
from bot.texts import Translator

router = Router(name=__name__)


class AdminSearching(StatesGroup):
    users = State()
    devices = State()


@router.callback_query(AdminSearch.filter())
async def ask_for_words(
    callback: CallbackQuery, *, callback_data: AdminSearch, state: FSMContext, t: Translator
) -> None:
    waiting = AdminSearching.users if callback_data.view == AdminView.USERS else AdminSearching.devices
    await state.set_state(waiting)
    key = "admin-search-users" if waiting is AdminSearching.users else "admin-search-devices"
    if isinstance(callback.message, Message):
        await callback.message.answer(t(key))
    await callback.answer()


@router.message(StateFilter(AdminSearching.users), F.text)
async def search_users(message: Message, *, state: FSMContext, session: AsyncSession, t: Translator) -> None:
    await state.clear()
    text, markup = await listing(AdminView.USERS, session, t, message.text, 0)
    await message.answer(text, reply_markup=markup)


@router.message(StateFilter(AdminSearching.devices), F.text)
async def search_devices(
    message: Message, *, state: FSMContext, session: AsyncSession, t: Translator
) -> None:
    await state.clear()
    text, markup = await listing(AdminView.DEVICES, session, t, message.text, 0)
    await message.answer(text, reply_markup=markup)
