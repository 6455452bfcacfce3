"""/rollouts: per-rollout counts (succeeded, failed, working); widen, pause, resume, cancel. Operators."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.ota import OtaRollout, RolloutAction
from bot.filters.operator import operators_only
from bot.keyboards import ota as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.views.ota import rollout_list
from core.services.ota import rollouts
from core.services.ota.rules import NotAllowed

router = operators_only(Router(name=__name__))


@router.message(Command("rollouts"))
async def list_rollouts(message: Message, *, session: AsyncSession, t: Translator) -> None:
    items = await rollouts.recent(session)
    await message.answer(rollout_list(t, items), reply_markup=keyboards.rollout_actions(t, items))


@router.callback_query(OtaRollout.filter())
async def act(
    callback: CallbackQuery, *, callback_data: OtaRollout, session: AsyncSession, t: Translator
) -> None:
    try:
        if callback_data.action is RolloutAction.WIDEN:
            await rollouts.widen(session, callback_data.rollout_id)
        else:
            await rollouts.act(session, callback_data.rollout_id, callback_data.action, datetime.now(UTC))
    except (NotAllowed, rollouts.NoStageLeft):
        await session.rollback()
        await callback.answer(t("stale-button"), show_alert=True)
        return
    items = await rollouts.recent(session)
    await show(callback, rollout_list(t, items), keyboards.rollout_actions(t, items))
    await callback.answer()
