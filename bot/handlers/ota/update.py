"""/update: an owner's devices with a newer stable firmware, each with "Update firmware" (SPEC 4). Admins and
viewers cannot update: the button re-checks the caller's role, whatever the callback data says."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.ota import OtaUpdate
from bot.keyboards import ota as keyboards
from bot.replies import show
from bot.texts import Translator
from core.models import User
from core.services.ota import updates

router = Router(name=__name__)


@router.message(Command("update"))
async def offer(message: Message, *, session: AsyncSession, user: User, t: Translator) -> None:
    offers = await updates.offers(session, user.id)
    agents = await updates.agents_owned(session, user.id)
    if agents:  # said plainly rather than left out silently: firmware cannot reach them
        await message.answer(t("ota-update-agents", devices=", ".join(agents)))
    if not offers:
        await message.answer(t("ota-update-none"))
        return
    for item in offers:
        await message.answer(
            t("ota-update-offer", device=item.device_name, running=item.running or "?", version=item.version),
            reply_markup=keyboards.update(t, item.device_id, item.version),
        )


@router.callback_query(OtaUpdate.filter())
async def start_update(
    callback: CallbackQuery, *, callback_data: OtaUpdate, session: AsyncSession, user: User, t: Translator
) -> None:
    # core.services.ota.updates.start re-checks that the caller owns the device (AccessDenied otherwise).
    started = await updates.start(session, user.id, callback_data.device_id)
    if started is None:
        await callback.answer(t("ota-update-none"), show_alert=True)
        return
    await show(callback, t("ota-progress-pending", device=started.device_name, version=started.version))
    await callback.answer()
    if callback.message is not None:
        await updates.follow(
            session,
            started.rollout_id,
            callback_data.device_id,
            callback.from_user.id,
            callback.message.message_id,
        )
