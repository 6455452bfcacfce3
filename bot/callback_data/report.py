"""Buttons of the monthly report: open the month list from the device card, then a month."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ReportMonths(CallbackData, prefix="rep"):
    device_id: int


class ReportMonth(CallbackData, prefix="repm"):
    device_id: int
    year: int
    month: int
