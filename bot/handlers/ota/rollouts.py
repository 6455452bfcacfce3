"""Rollouts: a firmware's 🐤 canary or 🚀 all opens a draft (canary size, failures allowed, soak time, or a
typed soak time), started by its own button; /rollouts lists per-rollout counts and how each reaches its
next stage, with widen, pause, resume, cancel. Operators only (a router-level filter)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.ota import (
    DraftChoice,
    FirmwareAction,
    OtaDraft,
    OtaDraftDiscard,
    OtaDraftStart,
    OtaFirmware,
    OtaRollout,
    RolloutAction,
)
from bot.drafts import confirmed, new_draft
from bot.filters.operator import operators_only
from bot.keyboards import ota as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.views.ota import draft_text, rollout_list
from core.models import User
from core.services.ota import firmware, rollouts
from core.services.ota.rules import NotAllowed, Scope, parse_soak

router = operators_only(Router(name=__name__))
# Another command while the draft is open goes to its own feature; the draft stays until started or replaced.
_COMMAND = F.text.startswith("/")
_CHOICES = {
    DraftChoice.CANARY: keyboards.CANARY_SIZES,
    DraftChoice.THRESHOLD: keyboards.THRESHOLDS,
    DraftChoice.SOAK: keyboards.SOAKS,
}


class RolloutDrafting(StatesGroup):
    choosing = State()


@router.callback_query(OtaFirmware.filter(F.action.in_({FirmwareAction.CANARY, FirmwareAction.ALL})))
async def open_draft(
    callback: CallbackQuery,
    *,
    callback_data: OtaFirmware,
    state: FSMContext,
    session: AsyncSession,
    t: Translator,
) -> None:
    info = await firmware.get(session, callback_data.firmware_id)
    if info is None or info.state is firmware.State.WITHDRAWN:
        await callback.answer(t("stale-button"), show_alert=True)
        return
    scope = Scope.CANARY if callback_data.action is FirmwareAction.CANARY else Scope.ALL
    draft, token = rollouts.RolloutDraft(firmware_id=info.id, scope=scope), new_draft()
    staged = (await state.get_data()).get("staged")
    if staged:  # an upload left half-way for this draft: its staged file goes, as on discard
        firmware.discard_staged(Path(str(staged)))
    await state.set_state(RolloutDrafting.choosing)
    await state.set_data({"draft": token, "rollout": draft.as_data()})
    text = draft_text(t, draft, info, await rollouts.fleet_size(session, info.device_type))
    assert callback.bot is not None
    await callback.bot.send_message(
        callback.from_user.id, text, reply_markup=keyboards.rollout_draft(t, token, draft)
    )
    await callback.answer()


@router.callback_query(OtaDraft.filter())
async def choose(
    callback: CallbackQuery,
    *,
    callback_data: OtaDraft,
    state: FSMContext,
    session: AsyncSession,
    t: Translator,
) -> None:
    data = await state.get_data()
    # Values come from the client: only those the keyboard offers, on this very draft.
    if data.get("draft") != callback_data.draft or callback_data.value not in _CHOICES[callback_data.choice]:
        await callback.answer(t("stale-button"), show_alert=True)
        return
    draft = _chosen(
        rollouts.RolloutDraft.from_data(data["rollout"]), callback_data.choice, callback_data.value
    )
    await state.update_data(rollout=draft.as_data())
    info = await firmware.get(session, draft.firmware_id)
    if info is None:
        await callback.answer(t("stale-button"), show_alert=True)
        return
    text = draft_text(t, draft, info, await rollouts.fleet_size(session, info.device_type))
    await show(callback, text, keyboards.rollout_draft(t, callback_data.draft, draft))
    await callback.answer()


def _chosen(draft: rollouts.RolloutDraft, choice: DraftChoice, value: int) -> rollouts.RolloutDraft:
    if choice is DraftChoice.CANARY:
        return dataclasses.replace(draft, canary=value)
    if choice is DraftChoice.THRESHOLD:
        return dataclasses.replace(draft, failure_threshold=value)
    return dataclasses.replace(draft, soak=timedelta(seconds=value) if value else None)


@router.message(StateFilter(RolloutDrafting.choosing), F.text, ~_COMMAND)
async def type_soak(message: Message, *, state: FSMContext, session: AsyncSession, t: Translator) -> None:
    data = await state.get_data()
    draft = rollouts.RolloutDraft.from_data(data["rollout"])
    try:
        soak = parse_soak(message.text or "")
    except ValueError:
        await message.answer(t("ota-refused-soak"))
        return
    if draft.scope is not Scope.CANARY:
        await message.answer(t("ota-refused-soak"))
        return
    draft = dataclasses.replace(draft, soak=soak)
    await state.update_data(rollout=draft.as_data())
    info = await firmware.get(session, draft.firmware_id)
    if info is None:
        await message.answer(t("stale-button"))
        return
    text = draft_text(t, draft, info, await rollouts.fleet_size(session, info.device_type))
    await message.answer(text, reply_markup=keyboards.rollout_draft(t, str(data["draft"]), draft))


@router.callback_query(OtaDraftStart.filter())
async def start(
    callback: CallbackQuery,
    *,
    callback_data: OtaDraftStart,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    t: Translator,
) -> None:
    data = await confirmed(callback, state, callback_data.draft, t)
    if data is None:
        return
    draft = rollouts.RolloutDraft.from_data(data["rollout"])
    try:
        rollout_id = await rollouts.start_draft(session, draft, started_by=user.id)
    except rollouts.NoDevices:
        await show(callback, t("ota-refused-no-devices"))
    except rollouts.RolloutError:
        await show(callback, t("stale-button"))
    else:
        info = await firmware.get(session, draft.firmware_id)
        await show(
            callback, t("ota-rollout-started", rollout=rollout_id, version=info.version if info else "?")
        )
    await callback.answer()


@router.callback_query(OtaDraftDiscard.filter())
async def discard(callback: CallbackQuery, *, state: FSMContext, t: Translator) -> None:
    if await state.get_state() == RolloutDrafting.choosing.state:
        await state.clear()
    await show(callback, t("ota-draft-discarded"))
    await callback.answer()


@router.message(Command("rollouts"))
async def list_rollouts(message: Message, *, session: AsyncSession, user: User, t: Translator) -> None:
    items = await rollouts.recent(session)
    await message.answer(
        rollout_list(t, items, user.timezone, datetime.now(UTC)),
        reply_markup=keyboards.rollout_actions(t, items),
    )


@router.callback_query(OtaRollout.filter())
async def act(
    callback: CallbackQuery, *, callback_data: OtaRollout, session: AsyncSession, user: User, t: Translator
) -> None:
    now = datetime.now(UTC)
    try:
        if callback_data.action is RolloutAction.WIDEN:
            await rollouts.widen(session, callback_data.rollout_id, callback_data.stage, now)
        else:
            await rollouts.act(session, callback_data.rollout_id, callback_data.action, now)
    except (NotAllowed, rollouts.NoStageLeft):
        await session.rollback()
        await callback.answer(t("stale-button"), show_alert=True)
        return
    items = await rollouts.recent(session)
    await show(callback, rollout_list(t, items, user.timezone, now), keyboards.rollout_actions(t, items))
    await callback.answer()
