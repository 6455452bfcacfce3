"""Keyboards of /billing: Pay, the autopay switch, and the link to YooKassa's payment page."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callback_data.billing import BillingAction, BillingOp
from bot.texts import Translator
from core.billing.account import Account


def _button(text: str, data: BillingAction) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def pay_button(t: Translator, invoice_id: int, amount: str) -> InlineKeyboardButton:
    return _button(
        t("billing-button-pay", amount=amount), BillingAction(op=BillingOp.PAY, invoice_id=invoice_id)
    )


def account_keyboard(t: Translator, view: Account, amount: str | None) -> InlineKeyboardMarkup | None:
    rows = []
    if view.unpaid is not None and amount is not None:
        rows.append([pay_button(t, view.unpaid.id, amount)])
    if view.card is not None:
        op = BillingOp.AUTOPAY_OFF if view.autopay else BillingOp.AUTOPAY_ON
        rows.append([_button(t(f"billing-button-autopay-{op.value}"), BillingAction(op=op))])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def payment_link(t: Translator, url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t("billing-button-open"), url=url)]]
    )


def pay_keyboard(t: Translator, invoice_id: int, amount: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[pay_button(t, invoice_id, amount)]])
