"""Keyboards of /billing: Pay, the autopay switch, and the link to YooKassa's payment page."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.billing import BillingAction, BillingOp
from bot.texts import Translator
from core.billing.account import Account


def account_keyboard(t: Translator, view: Account, amount: str | None) -> InlineKeyboardMarkup | None:
    keyboard = InlineKeyboardBuilder()
    if view.unpaid is not None and amount is not None:
        _pay(keyboard, t, view.unpaid.id, amount)
    if view.card is not None:
        op = BillingOp.AUTOPAY_OFF if view.autopay else BillingOp.AUTOPAY_ON
        keyboard.button(text=t(f"billing-button-autopay-{op.value}"), callback_data=BillingAction(op=op))
    keyboard.adjust(1)
    return keyboard.as_markup() if keyboard.export() else None


def payment_link(t: Translator, url: str) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    keyboard.button(text=t("billing-button-open"), url=url)
    return keyboard.as_markup()


def pay_keyboard(t: Translator, invoice_id: int, amount: str) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    _pay(keyboard, t, invoice_id, amount)
    return keyboard.as_markup()


def _pay(keyboard: InlineKeyboardBuilder, t: Translator, invoice_id: int, amount: str) -> None:
    data = BillingAction(op=BillingOp.PAY, invoice_id=invoice_id)
    keyboard.button(text=t("billing-button-pay", amount=amount), callback_data=data)
