"""Operators' billing: /revenue [YYYY-MM], /refund PAYMENT [AMOUNT] and /cancel_invoice INVOICE.

Only ADMIN_USER_IDS pass (bot.filters.operator); anyone else falls through to the fallback, as for an
unknown command. /admin's dashboard shows this month's revenue through core.billing.revenue.month_revenue.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.operator import operators_only
from bot.handlers.billing.context import BillingContext
from bot.texts import Translator
from bot.views.billing import money, month_name
from core.billing import payments, refunds, revenue, yookassa
from core.billing.months import Month

router = operators_only(Router(name=__name__))
_AMOUNT = re.compile(r"\d{1,9}([.,]\d{1,2})?")


@router.message(Command("revenue"))
async def show_revenue(
    message: Message, *, command: CommandObject, session: AsyncSession, t: Translator, billing: BillingContext
) -> None:
    try:
        month = Month.parse(command.args) if command.args else Month.of(billing.now().date())
    except ValueError:
        await message.answer(t("billing-revenue-usage"))
        return
    figures = await revenue.revenue(session, month)
    name = month_name(t, month)
    if not figures.users:
        await message.answer(t("billing-revenue-none", month=name))
        return
    lines = [
        t(
            "billing-revenue",
            month=name,
            paid=money(t, figures.paid),
            refunded=money(t, figures.refunded),
            net=money(t, figures.net),
        )
    ]
    lines += [
        t(
            "billing-revenue-user",
            name=user.name or "—",
            telegram=str(user.telegram_id),
            paid=money(t, user.paid),
            refunded=money(t, user.refunded),
            payments=", ".join(f"#{p}" for p in user.payments),
        )
        for user in figures.users
    ]
    await message.answer("\n".join(lines))


@router.message(Command("refund"))
async def refund(
    message: Message, *, command: CommandObject, session: AsyncSession, t: Translator, billing: BillingContext
) -> None:
    parts = (command.args or "").split()
    if not 1 <= len(parts) <= 2 or not parts[0].lstrip("#").isdigit():
        await message.answer(t("billing-refund-usage"))
        return
    amount = _kopecks(parts[1]) if len(parts) == 2 else None
    if len(parts) == 2 and amount is None:
        await message.answer(t("billing-refund-usage"))
        return
    try:
        done = await refunds.refund(session, int(parts[0].lstrip("#")), amount, f"operator {message.chat.id}")
    except refunds.NotRefundable as error:
        await message.answer(t("billing-refund-refused", reason=str(error)))
        return
    except yookassa.PaymentsUnavailable:
        await message.answer(t("billing-unavailable"))
        return
    await message.answer(
        t(
            "billing-refund-done",
            amount=money(t, done.amount),
            payment=str(done.payment_id),
            left=money(t, done.left),
        )
    )


@router.message(Command("cancel_invoice"))
async def cancel_invoice(
    message: Message, *, command: CommandObject, session: AsyncSession, t: Translator
) -> None:
    number = (command.args or "").strip().lstrip("#")
    if not number.isdigit():
        await message.answer(t("billing-cancel-usage"))
        return
    cancelled = await payments.cancel_invoice(session, int(number))
    await message.answer(
        t("billing-cancel-done" if cancelled else "billing-cancel-refused", invoice=str(int(number)))
    )


def _kopecks(text: str) -> int | None:
    """ "150", "150.5", "150,50" roubles → kopecks; None for anything else."""
    if not _AMOUNT.fullmatch(text):
        return None
    try:
        return int(Decimal(text.replace(",", ".")) * 100)
    except InvalidOperation:
        return None
