"""/devices: the list, the device card and what it offers: rename, location, notifications, remove, leave."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.devices import DeviceAction, DeviceOp, DevicePage
from bot.keyboards import devices as keyboards
from bot.replies import show, tell
from bot.texts import Catalogue, Translator
from bot.views import devices as views
from core.models import User
from core.services import devices
from core.services.access import Action, can
from core.services.ota import updates

router = Router(name=__name__)

CLEAR_LOCATION = "-"


class DeviceEdit(StatesGroup):
    name = State()
    location = State()


@router.message(Command("devices"))
async def list_devices(message: Message, *, session: AsyncSession, user: User, t: Translator) -> None:
    mine = await devices.my_devices(session, user.id)
    await message.answer(views.device_list(t, mine), reply_markup=keyboards.device_list(t, mine))


@router.callback_query(DeviceAction.filter(F.op == DeviceOp.LIST))
async def back_to_list(callback: CallbackQuery, *, session: AsyncSession, user: User, t: Translator) -> None:
    mine = await devices.my_devices(session, user.id)
    await show(callback, views.device_list(t, mine), keyboards.device_list(t, mine))
    await callback.answer()


@router.callback_query(DevicePage.filter())
async def list_page(
    callback: CallbackQuery, *, callback_data: DevicePage, session: AsyncSession, user: User, t: Translator
) -> None:
    mine = await devices.my_devices(session, user.id)
    await show(callback, views.device_list(t, mine), keyboards.device_list(t, mine, callback_data.page))
    await callback.answer()


@router.callback_query(DeviceAction.filter(F.op == DeviceOp.OPEN))
async def open_card(
    callback: CallbackQuery, *, callback_data: DeviceAction, session: AsyncSession, user: User, t: Translator
) -> None:
    await _show_card(callback, session, user, t, callback_data.device_id)
    await callback.answer()


async def _show_card(
    callback: CallbackQuery, session: AsyncSession, user: User, t: Translator, device_id: int
) -> None:
    device = await devices.device_summary(session, user.id, device_id)
    text = views.device_card(t, device, datetime.now(UTC), user.timezone)
    owner = can(device.role, Action.UPDATE_FIRMWARE)
    update_to = await updates.available(session, device_id) if owner else None
    await show(callback, text, keyboards.device_card(t, device, update_to))


@router.callback_query(DeviceAction.filter(F.op.in_({DeviceOp.NOTIFY_ON, DeviceOp.NOTIFY_OFF})))
async def switch_notifications(
    callback: CallbackQuery, *, callback_data: DeviceAction, session: AsyncSession, user: User, t: Translator
) -> None:
    enabled = callback_data.op == DeviceOp.NOTIFY_ON
    await devices.set_notifications(session, user.id, callback_data.device_id, enabled)
    await _show_card(callback, session, user, t, callback_data.device_id)
    await callback.answer(t("devices-notifications-now-on" if enabled else "devices-notifications-now-off"))


# ---- rename and location: a prompt, then the user's next text ------------------------------------------


@router.callback_query(DeviceAction.filter(F.op.in_({DeviceOp.RENAME, DeviceOp.LOCATION})))
async def ask_label(
    callback: CallbackQuery,
    *,
    callback_data: DeviceAction,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    t: Translator,
    bot: Bot,
) -> None:
    device = await devices.device_summary(session, user.id, callback_data.device_id, Action.CONFIGURE)
    renaming = callback_data.op == DeviceOp.RENAME
    await state.set_state(DeviceEdit.name if renaming else DeviceEdit.location)
    await state.update_data(device_id=device.id)
    prompt = t("devices-ask-name" if renaming else "devices-ask-location", name=device.name)
    await bot.send_message(user.telegram_id, prompt)
    await callback.answer()


@router.message(StateFilter(DeviceEdit.name), F.text)
async def rename(
    message: Message, *, state: FSMContext, session: AsyncSession, user: User, t: Translator
) -> None:
    device_id = int((await state.get_data())["device_id"])
    # The role is checked again here: it may have changed since the prompt.
    await devices.rename(session, user.id, device_id, message.text or "")
    await state.clear()
    device = await devices.device_summary(session, user.id, device_id)
    await message.answer(
        t("devices-renamed", name=device.name), reply_markup=keyboards.back_to_card(t, device_id)
    )


@router.message(StateFilter(DeviceEdit.location), F.text)
async def locate(
    message: Message, *, state: FSMContext, session: AsyncSession, user: User, t: Translator
) -> None:
    device_id = int((await state.get_data())["device_id"])
    typed = (message.text or "").strip()
    await devices.set_location(session, user.id, device_id, None if typed == CLEAR_LOCATION else typed)
    await state.clear()
    await message.answer(t("devices-located"), reply_markup=keyboards.back_to_card(t, device_id))


# ---- remove (owner) and leave (everyone else), each after a confirmation --------------------------------


@router.callback_query(DeviceAction.filter(F.op.in_({DeviceOp.REMOVE, DeviceOp.LEAVE})))
async def confirm_unlink(
    callback: CallbackQuery, *, callback_data: DeviceAction, session: AsyncSession, user: User, t: Translator
) -> None:
    removing = callback_data.op == DeviceOp.REMOVE
    action = Action.REMOVE if removing else Action.LEAVE
    device = await devices.device_summary(session, user.id, callback_data.device_id, action)
    if removing:
        text = t("devices-confirm-remove", name=device.name)
        markup = keyboards.confirm(t, device.id, DeviceOp.REMOVE_CONFIRM, "devices-button-confirm-remove")
    else:
        text = t("devices-confirm-leave", name=device.name)
        markup = keyboards.confirm(t, device.id, DeviceOp.LEAVE_CONFIRM, "devices-button-confirm-leave")
    await show(callback, text, markup)
    await callback.answer()


@router.callback_query(DeviceAction.filter(F.op == DeviceOp.REMOVE_CONFIRM))
async def remove(
    callback: CallbackQuery,
    *,
    callback_data: DeviceAction,
    session: AsyncSession,
    user: User,
    t: Translator,
    catalogue: Catalogue,
    bot: Bot,
) -> None:
    device = await devices.device_summary(session, user.id, callback_data.device_id, Action.REMOVE)
    former_members = await devices.remove(session, user.id, device.id)
    await show(callback, t("devices-removed", name=device.name))
    await callback.answer()
    for member in former_members:
        await tell(
            bot, session, member, catalogue[member.language]("devices-removed-member", name=device.name)
        )


@router.callback_query(DeviceAction.filter(F.op == DeviceOp.LEAVE_CONFIRM))
async def leave(
    callback: CallbackQuery, *, callback_data: DeviceAction, session: AsyncSession, user: User, t: Translator
) -> None:
    device = await devices.device_summary(session, user.id, callback_data.device_id, Action.LEAVE)
    await devices.leave(session, user.id, device.id)
    await show(callback, t("devices-left", name=device.name))
    await callback.answer()
