"""The "mute 1 h" button under an alert notice; its other button, "history", is the /history chart's own."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Router
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.notices import MuteDevice
from bot.texts import Translator
from bot.views.moments import local_moment
from core.models import User
from core.services import devices, notification_prefs

router = Router(name=__name__)


@router.callback_query(MuteDevice.filter())
async def notice_mute(
    callback: CallbackQuery, *, callback_data: MuteDevice, session: AsyncSession, user: User, t: Translator
) -> None:
    device = await devices.device_summary(session, user.id, callback_data.device_id)
    now = datetime.now(UTC)
    until = await notification_prefs.mute(session, user.id, device.id, now)
    await callback.answer(
        t("notice-muted", device=device.name, until=local_moment(until, user.timezone, now)), show_alert=True
    )
