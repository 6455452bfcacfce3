"""The month list of the monthly report, under the device card."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callback_data.devices import DeviceAction, DeviceOp
from bot.callback_data.report import ReportMonth
from bot.texts import Translator

MONTHS_PER_ROW = 3


def month_label(year: int, month: int) -> str:
    return f"{month:02d}.{year}"


def pick_month(t: Translator, device_id: int, months: list[tuple[int, int]]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=month_label(year, month),
            callback_data=ReportMonth(device_id=device_id, year=year, month=month).pack(),
        )
        for year, month in months
    ]
    rows = [buttons[i : i + MONTHS_PER_ROW] for i in range(0, len(buttons), MONTHS_PER_ROW)]
    back = DeviceAction(op=DeviceOp.OPEN, device_id=device_id)
    rows.append([InlineKeyboardButton(text=t("button-back"), callback_data=back.pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)
