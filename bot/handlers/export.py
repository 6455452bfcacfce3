"""/export: a device's readings for a period as a CSV document."""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command
from aiogram.types import CallbackQuery, FSInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.export import ExportDevice, ExportPeriod, ExportPick
from bot.keyboards import export as keyboards
from bot.replies import show
from bot.texts import Translator
from core.models import User
from core.services import devices, export, periods

router = Router(name=__name__)

_UNSAFE = re.compile(r"[^\w.-]+")


@router.message(Command("export"))
async def start_export(message: Message, *, session: AsyncSession, user: User, t: Translator) -> None:
    mine = await devices.my_devices(session, user.id)
    if not mine:
        await message.answer(t("export-empty"))
    elif len(mine) == 1:
        await message.answer(
            t("export-pick-period", name=mine[0].name), reply_markup=keyboards.pick_period(t, mine[0].id)
        )
    else:
        await message.answer(t("export-pick-device"), reply_markup=keyboards.pick_device(t, mine))


@router.callback_query(ExportPick.filter())
async def picker_page(
    callback: CallbackQuery, *, callback_data: ExportPick, session: AsyncSession, user: User, t: Translator
) -> None:
    mine = await devices.my_devices(session, user.id)
    await show(callback, t("export-pick-device"), keyboards.pick_device(t, mine, callback_data.page))
    await callback.answer()


@router.callback_query(ExportDevice.filter())
async def pick_period(
    callback: CallbackQuery, *, callback_data: ExportDevice, session: AsyncSession, user: User, t: Translator
) -> None:
    device = await devices.device_summary(session, user.id, callback_data.device_id)
    await show(callback, t("export-pick-period", name=device.name), keyboards.pick_period(t, device.id))
    await callback.answer()


@router.callback_query(ExportPeriod.filter())
async def send_export(
    callback: CallbackQuery,
    *,
    callback_data: ExportPeriod,
    session: AsyncSession,
    user: User,
    t: Translator,
    bot: Bot,
) -> None:
    # Access is checked against the database: the device id in the button is only a claim.
    device = await devices.device_summary(session, user.id, callback_data.device_id)
    window = periods.window(callback_data.span, datetime.now(UTC), user.timezone)
    period = t(f"history-span-{callback_data.span}")
    await callback.answer()
    await bot.send_chat_action(user.telegram_id, ChatAction.UPLOAD_DOCUMENT)
    with tempfile.TemporaryDirectory(prefix="smartair_export") as folder:
        path = Path(folder) / _file_name(device.name, window, user.timezone)
        with path.open("w", encoding="utf-8", newline="") as out:
            rows = await export.write_csv(session, device.id, window, user.timezone, out)
        await session.commit()
        if rows == 0:
            await bot.send_message(user.telegram_id, t("export-nothing", name=device.name, period=period))
            return
        caption = t("export-caption", name=device.name, period=period, rows=rows, zone=user.timezone)
        await bot.send_document(user.telegram_id, FSInputFile(path), caption=caption)


def _file_name(device_name: str, window: periods.Window, tz_name: str) -> str:
    zone = ZoneInfo(tz_name)
    first, last = (moment.astimezone(zone).strftime("%Y%m%d") for moment in (window.start, window.end))
    return f"{_UNSAFE.sub('_', device_name).strip('_') or 'device'}_{first}_{last}.csv"
