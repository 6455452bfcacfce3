"""Buttons of /billing. The invoice id comes from the client: the services re-check it is the caller's."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class BillingOp(StrEnum):
    PAY = "pay"
    AUTOPAY_ON = "on"
    AUTOPAY_OFF = "off"


class BillingAction(CallbackData, prefix="bill"):
    op: BillingOp
    invoice_id: int = 0
