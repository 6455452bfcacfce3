"""A device's card (opened from /all_devices): owner, members, firmware, last reading."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Router
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.admin import AdminDevice
from bot.keyboards import admin as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.views.admin import device_card_text
from core.models import User
from core.services.admin.devices import device_card

router = Router(name=__name__)


@router.callback_query(AdminDevice.filter())
async def open_device(
    callback: CallbackQuery, *, callback_data: AdminDevice, session: AsyncSession, user: User, t: Translator
) -> None:
    card = await device_card(session, callback_data.device_id)
    if card is None:
        await callback.answer(t("admin-gone"), show_alert=True)
        return
    now = datetime.now(UTC)
    await show(
        callback,
        device_card_text(t, card, now, user.timezone),
        keyboards.device_card(t, card, callback_data.page),
    )
    await callback.answer()
