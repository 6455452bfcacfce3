"""/all_devices: every device, paged and searchable; a device's card (owner, members, last reading)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.admin import AdminDevice, AdminOpen, AdminView
from bot.keyboards import admin as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.views.admin import device_card_text, list_title
from core.models import User
from core.services.admin.devices import device_card, find_devices
from core.services.admin.search import clean_query

router = Router(name=__name__)


async def device_list(
    session: AsyncSession, t: Translator, query: str | None, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    words = clean_query(query)
    found = await find_devices(session, words, page)
    return list_title(t, "admin-devices-title", found, words), keyboards.device_list(t, found, words)


@router.message(Command("all_devices"))
async def list_devices(
    message: Message, command: CommandObject, *, session: AsyncSession, t: Translator
) -> None:
    text, markup = await device_list(session, t, command.args, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(AdminOpen.filter(F.view == AdminView.DEVICES))
async def devices_page(
    callback: CallbackQuery, *, callback_data: AdminOpen, session: AsyncSession, t: Translator
) -> None:
    text, markup = await device_list(session, t, callback_data.query, callback_data.page)
    await show(callback, text, markup)
    await callback.answer()


@router.callback_query(AdminDevice.filter())
async def open_device(
    callback: CallbackQuery, *, callback_data: AdminDevice, session: AsyncSession, user: User, t: Translator
) -> None:
    card = await device_card(session, callback_data.device_id)
    if card is None:
        await callback.answer(t("admin-gone"), show_alert=True)
        return
    now = datetime.now(UTC)
    await show(callback, device_card_text(t, card, now, user.timezone), keyboards.device_card(t, card))
    await callback.answer()
