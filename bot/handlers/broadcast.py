"""/broadcast: compose (text, or a photo with a caption), choose the audience, preview exactly as recipients
will see it, confirm; then a live progress message with Cancel (kept up to date by bot.delivery.broadcast).

Operators only (a router-level filter): for anyone else /broadcast is an unknown command.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.broadcast import (
    AudienceKind,
    BroadcastAudience,
    BroadcastCancel,
    BroadcastDiscard,
    BroadcastSend,
)
from bot.delivery.render import post
from bot.drafts import confirmed, new_draft
from bot.filters.operator import operators_only
from bot.handlers.billing.context import BillingContext
from bot.keyboards import broadcast as keyboards
from bot.replies import show
from bot.texts import Translator
from bot.views.broadcast import audience_text, broadcast_message, progress_text
from core.models import User
from core.services import broadcast
from core.services.broadcast import BadBroadcast, Content

router = operators_only(Router(name=__name__))


class BroadcastComposing(StatesGroup):
    content = State()  # waiting for the text or photo
    audience = State()  # content kept, waiting for the audience and the confirmation


@router.message(Command("broadcast"))
async def compose(message: Message, *, state: FSMContext, t: Translator) -> None:
    await state.set_state(BroadcastComposing.content)
    await message.answer(t("broadcast-compose"))


@router.message(StateFilter(BroadcastComposing.content), F.photo | F.text)
async def take_content(
    message: Message,
    *,
    state: FSMContext,
    session: AsyncSession,
    t: Translator,
    billing: BillingContext | None = None,
) -> None:
    photo = message.photo[-1].file_id if message.photo else None
    text = (message.caption or "") if photo else (message.text or "")
    try:
        content = broadcast.check(Content(text, photo))
    except BadBroadcast as refusal:
        await message.answer(t(f"broadcast-refused-{refusal.reason}"))
        return
    await state.set_state(BroadcastComposing.audience)
    await state.update_data(text=content.text, photo=content.photo)
    types = await broadcast.device_types(session)
    await message.answer(
        t("broadcast-choose-audience"), reply_markup=keyboards.audiences(t, types, _billing_on(billing))
    )


def _billing_on(billing: BillingContext | None) -> bool:
    return billing is not None and billing.enabled


def _audience(choice: BroadcastAudience, types: list[str], billing: bool) -> str | None:
    if choice.kind == AudienceKind.ALL:
        return broadcast.ALL
    if choice.kind == AudienceKind.TYPE and choice.device_type in types:
        return broadcast.TYPE_PREFIX + choice.device_type
    if choice.kind == AudienceKind.UNPAID and billing:
        return broadcast.UNPAID
    return None


@router.callback_query(StateFilter(BroadcastComposing.audience), BroadcastAudience.filter())
async def preview(
    callback: CallbackQuery,
    *,
    callback_data: BroadcastAudience,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
    t: Translator,
    billing: BillingContext | None = None,
) -> None:
    audience = _audience(callback_data, await broadcast.device_types(session), _billing_on(billing))
    if audience is None:
        await callback.answer(t("stale-button"), show_alert=True)
        return
    data = await state.get_data()
    content = Content(str(data["text"]), data.get("photo"))
    draft = new_draft()
    await state.update_data(audience=audience, draft=draft)
    size = await broadcast.audience_size(session, audience)
    await callback.answer()
    # The preview goes the recipients' way (bot.delivery.render.post): the operator sees what they will get.
    await post(bot, callback.from_user.id, broadcast_message(content))
    await bot.send_message(
        callback.from_user.id,
        t("broadcast-confirm", audience=audience_text(t, audience), count=size),
        reply_markup=keyboards.confirm(t, draft),
    )


@router.callback_query(StateFilter(BroadcastComposing.audience), BroadcastSend.filter())
async def send(
    callback: CallbackQuery,
    *,
    callback_data: BroadcastSend,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    t: Translator,
) -> None:
    data = await confirmed(callback, state, callback_data.draft, t)
    if data is None:
        return
    content = Content(str(data["text"]), data.get("photo"))
    started = await broadcast.start(session, user.id, content, str(data["audience"]), callback.from_user.id)
    await session.commit()
    progress = await broadcast.progress(session, started.id, datetime.now(UTC))
    assert progress is not None
    # The confirmation turns into the live progress message (bot.delivery.broadcast edits it from now on).
    await show(callback, progress_text(t, progress), keyboards.under_way(t, started.id))
    await callback.answer()
    if isinstance(callback.message, Message):
        await broadcast.set_progress_message(
            session, started.id, callback.message.chat.id, callback.message.message_id
        )
        await session.commit()


@router.callback_query(BroadcastDiscard.filter())
async def discard(callback: CallbackQuery, *, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await show(callback, t("broadcast-discarded"))
    await callback.answer()


@router.callback_query(BroadcastCancel.filter())
async def cancel(
    callback: CallbackQuery, *, callback_data: BroadcastCancel, session: AsyncSession, t: Translator
) -> None:
    now = datetime.now(UTC)
    cancelled = await broadcast.cancel(session, callback_data.broadcast_id, now)
    await session.commit()
    progress = await broadcast.progress(session, callback_data.broadcast_id, now)
    if progress is None:
        await callback.answer(t("stale-button"), show_alert=True)
        return
    await show(callback, progress_text(t, progress))
    await callback.answer(t("broadcast-cancelled", count=cancelled))
