"""/billing for a user: plan, devices, invoices, card and autopay; Pay opens YooKassa's payment page."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, MagicData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.billing import BillingAction, BillingOp
from bot.handlers.billing.context import BillingContext
from bot.keyboards.billing import account_keyboard, payment_link
from bot.replies import show
from bot.texts import Translator
from bot.views.billing import account_text, money, month_name
from core.billing import account, payments, yookassa
from core.models import Invoice, User

log = logging.getLogger(__name__)
router = Router(name=__name__)
# With billing off, buttons left from before are stale: they fall through to the fallback's answer.
router.callback_query.filter(MagicData(F.billing.enabled))


async def _render(
    session: AsyncSession, user: User, t: Translator, billing: BillingContext
) -> tuple[str, InlineKeyboardMarkup | None]:
    view = await account.account(session, user.id, billing.plan, billing.now())
    unpaid = view.unpaid
    keyboard = account_keyboard(t, view, money(t, unpaid.amount) if unpaid else None)
    return account_text(t, view, user.timezone), keyboard


@router.message(Command("billing"))
async def show_account(
    message: Message, *, session: AsyncSession, user: User, t: Translator, billing: BillingContext
) -> None:
    if not billing.enabled:
        await message.answer(t("billing-off"))
        return
    text, keyboard = await _render(session, user, t, billing)
    await message.answer(text, reply_markup=keyboard)


@router.callback_query(BillingAction.filter(F.op == BillingOp.PAY))
async def pay(
    callback: CallbackQuery,
    *,
    callback_data: BillingAction,
    session: AsyncSession,
    user: User,
    t: Translator,
    billing: BillingContext,
) -> None:
    try:
        url = await payments.start_checkout(session, user.id, callback_data.invoice_id, billing.return_url)
    except payments.NotPayable:
        await callback.answer(t("billing-not-payable"), show_alert=True)
        return
    except yookassa.PaymentsUnavailable:
        await callback.answer(t("billing-unavailable"), show_alert=True)
        return
    invoice = await session.get(Invoice, callback_data.invoice_id)
    assert invoice is not None  # start_checkout found it
    text = t("billing-pay-link", amount=money(t, invoice.amount), month=month_name(t, invoice.month))
    assert callback.bot is not None
    await callback.bot.send_message(callback.from_user.id, text, reply_markup=payment_link(t, url))
    await callback.answer()


@router.callback_query(BillingAction.filter(F.op.in_({BillingOp.AUTOPAY_ON, BillingOp.AUTOPAY_OFF})))
async def switch_autopay(
    callback: CallbackQuery,
    *,
    callback_data: BillingAction,
    session: AsyncSession,
    user: User,
    t: Translator,
    billing: BillingContext,
) -> None:
    if not await account.set_autopay(session, user.id, callback_data.op == BillingOp.AUTOPAY_ON):
        await callback.answer(t("billing-autopay-no-card"), show_alert=True)
        return
    text, keyboard = await _render(session, user, t, billing)
    await show(callback, text, keyboard)
    await callback.answer()
