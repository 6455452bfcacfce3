"""/select: the current device that /live, /history and /settings act on."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.select import SelectDevice, SelectPage
from bot.keyboards.paging import page_holding
from bot.keyboards.select import select_device
from bot.replies import show
from bot.texts import Translator
from core.models import User
from core.services import devices

router = Router(name=__name__)


@router.message(Command("select"))
async def choose(message: Message, *, session: AsyncSession, user: User, t: Translator) -> None:
    mine = await devices.my_devices(session, user.id)
    if not mine:
        await message.answer(t("select-empty"))
        return
    current = user.current_device_id
    page = page_holding([d.id for d in mine], current)
    await message.answer(t("select-title"), reply_markup=select_device(t, mine, current, page))


@router.callback_query(SelectPage.filter())
async def select_page(
    callback: CallbackQuery, *, callback_data: SelectPage, session: AsyncSession, user: User, t: Translator
) -> None:
    mine = await devices.my_devices(session, user.id)
    markup = select_device(t, mine, user.current_device_id, callback_data.page)
    await show(callback, t("select-title"), markup)
    await callback.answer()


@router.callback_query(SelectDevice.filter())
async def select(
    callback: CallbackQuery, *, callback_data: SelectDevice, session: AsyncSession, user: User, t: Translator
) -> None:
    await devices.select_current(session, user, callback_data.device_id)
    chosen = await devices.device_summary(session, user.id, callback_data.device_id)
    mine = await devices.my_devices(session, user.id)
    page = page_holding([d.id for d in mine], chosen.id)
    await show(callback, t("select-done", name=chosen.name), select_device(t, mine, chosen.id, page))
    await callback.answer()
