"""The month list of the monthly report, under the device card."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.devices import DeviceAction, DeviceOp
from bot.callback_data.report import ReportMonth
from bot.texts import Translator

MONTHS_PER_ROW = 3


def month_label(year: int, month: int) -> str:
    return f"{month:02d}.{year}"


def pick_month(t: Translator, device_id: int, months: list[tuple[int, int]]) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    for year, month in months:
        data = ReportMonth(device_id=device_id, year=year, month=month)
        keyboard.button(text=month_label(year, month), callback_data=data)
    keyboard.adjust(MONTHS_PER_ROW)
    back = DeviceAction(op=DeviceOp.OPEN, device_id=device_id)
    keyboard.row(InlineKeyboardButton(text=t("button-back"), callback_data=back.pack()))
    return keyboard.as_markup()
