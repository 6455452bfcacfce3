"""/firmware: pick the device type (its firmware is listed with what can be done with each), send the file,
type the version and the changelog, confirm; stored signed as a draft (core.services.ota.firmware). A
firmware's ✅ stable and 🗑 withdraw are here; its 🐤 canary and 🚀 all open a rollout's draft (rollouts.py).

Operators only (a router-level filter). The file waits in FIRMWARE_DIR under a staging name until it is
stored; discarding, or any refusal, deletes it.
"""

from __future__ import annotations

from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.ota import (
    FirmwareAction,
    OtaConfirm,
    OtaDiscard,
    OtaFirmware,
    OtaFirmwarePage,
    OtaType,
)
from bot.drafts import confirmed, new_draft
from bot.filters.operator import operators_only
from bot.keyboards import ota as keyboards
from bot.keyboards.paging import page_holding, page_of
from bot.replies import show
from bot.texts import Translator
from bot.views.ota import firmware_list
from core.models import User
from core.services.broadcast import device_types
from core.services.ota import firmware
from core.services.ota.versions import NotAVersion
from core.settings import FirmwareSettings

router = operators_only(Router(name=__name__))
# Another command during the upload goes to its own feature; the upload waits (or is restarted by /firmware).
_COMMAND = F.text.startswith("/")


class FirmwareUpload(StatesGroup):
    device_type = State()
    file = State()
    version = State()
    changelog = State()
    confirm = State()


@router.message(Command("firmware"))
async def choose_type(
    message: Message,
    *,
    state: FSMContext,
    session: AsyncSession,
    t: Translator,
    firmware_settings: FirmwareSettings,
) -> None:
    await _discard_staged(state)
    try:
        firmware.signing_key(firmware_settings)
    except firmware.NoSigningKey:
        await message.answer(t("ota-refused-no-key"))
        return
    await state.set_state(FirmwareUpload.device_type)
    await message.answer(
        t("ota-firmware-pick-type"), reply_markup=keyboards.device_types(await device_types(session))
    )


@router.callback_query(StateFilter(FirmwareUpload.device_type), OtaType.filter())
async def list_and_ask_for_file(
    callback: CallbackQuery,
    *,
    callback_data: OtaType,
    state: FSMContext,
    session: AsyncSession,
    t: Translator,
) -> None:
    if callback_data.device_type not in await device_types(session):
        await callback.answer(t("stale-button"), show_alert=True)
        return
    await state.update_data(device_type=callback_data.device_type)
    await state.set_state(FirmwareUpload.file)
    await show(callback, *await _listing(session, t, callback_data.device_type))
    assert callback.bot is not None
    await callback.bot.send_message(
        callback.from_user.id, t("ota-firmware-send-file"), reply_markup=keyboards.discard(t)
    )
    await callback.answer()


@router.message(StateFilter(FirmwareUpload.file), F.document)
async def take_file(
    message: Message, *, state: FSMContext, bot: Bot, t: Translator, firmware_settings: FirmwareSettings
) -> None:
    document = message.document
    assert document is not None
    try:
        firmware.check_file(document.file_name, document.file_size)
    except firmware.TooLarge:
        await message.answer(t("ota-refused-too-large"))
        return
    except firmware.WrongFile:
        await message.answer(t("ota-refused-wrong-file"))
        return
    staged = firmware.staging_path(firmware_settings)
    await bot.download(document, destination=staged)
    await state.update_data(staged=str(staged))
    await state.set_state(FirmwareUpload.version)
    await message.answer(t("ota-firmware-ask-version"))


@router.message(StateFilter(FirmwareUpload.file), ~_COMMAND)
async def not_a_file(message: Message, *, t: Translator) -> None:
    await message.answer(t("ota-refused-wrong-file"))


@router.message(StateFilter(FirmwareUpload.version), F.text, ~_COMMAND)
async def take_version(message: Message, *, state: FSMContext, session: AsyncSession, t: Translator) -> None:
    data = await state.get_data()
    try:
        version = await firmware.check_version(session, str(data["device_type"]), message.text or "")
    except NotAVersion:
        await message.answer(t("ota-refused-not-a-version"))
        return
    except firmware.NotNewer as refusal:
        await message.answer(t("ota-refused-not-newer", latest=refusal.latest))
        return
    await state.update_data(version=version)
    await state.set_state(FirmwareUpload.changelog)
    await message.answer(t("ota-firmware-ask-changelog"))


@router.message(StateFilter(FirmwareUpload.changelog), F.text, ~_COMMAND)
async def take_changelog(message: Message, *, state: FSMContext, t: Translator) -> None:
    draft = new_draft()
    changelog = (message.text or "")[: firmware.MAX_CHANGELOG]
    await state.update_data(changelog=changelog, draft=draft)
    await state.set_state(FirmwareUpload.confirm)
    data = await state.get_data()
    text = t(
        "ota-firmware-confirm",
        type=str(data["device_type"]),
        version=str(data["version"]),
        changelog=changelog,
    )
    await message.answer(text, reply_markup=keyboards.confirm(t, draft))


@router.callback_query(StateFilter(FirmwareUpload.confirm), OtaConfirm.filter())
async def store(
    callback: CallbackQuery,
    *,
    callback_data: OtaConfirm,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    t: Translator,
    firmware_settings: FirmwareSettings,
) -> None:
    data = await confirmed(callback, state, callback_data.draft, t)
    if data is None:
        return
    try:
        info = await firmware.store(
            session,
            firmware_settings,
            device_type=str(data["device_type"]),
            version=str(data["version"]),
            changelog=str(data["changelog"]),
            staged=Path(str(data["staged"])),
            uploaded_by=user.id,
        )
    except firmware.NotNewer as refusal:
        await show(callback, t("ota-refused-not-newer", latest=refusal.latest))
    except firmware.NoSigningKey:
        await show(callback, t("ota-refused-no-key"))
    except (firmware.WrongFile, firmware.TooLarge, NotAVersion):
        await show(callback, t("ota-refused-wrong-file"))
    else:
        text = t("ota-firmware-stored", type=info.device_type, version=info.version, checksum=info.checksum)
        await show(callback, *await _listing(session, t, info.device_type, head=text))
    await callback.answer()


@router.callback_query(OtaDiscard.filter())
async def discard(callback: CallbackQuery, *, state: FSMContext, t: Translator) -> None:
    await _discard_staged(state)
    await state.clear()
    await show(callback, t("ota-firmware-discarded"))
    await callback.answer()


async def _discard_staged(state: FSMContext) -> None:
    staged = (await state.get_data()).get("staged")
    if staged:
        firmware.discard_staged(Path(str(staged)))


@router.callback_query(OtaFirmware.filter(F.action.in_({FirmwareAction.STABLE, FirmwareAction.WITHDRAW})))
async def set_firmware_state(
    callback: CallbackQuery, *, callback_data: OtaFirmware, session: AsyncSession, t: Translator
) -> None:
    info = await firmware.get(session, callback_data.firmware_id)
    if info is None or info.state is firmware.State.WITHDRAWN:
        await callback.answer(t("stale-button"), show_alert=True)
        return
    stable = callback_data.action is FirmwareAction.STABLE
    state = firmware.State.STABLE if stable else firmware.State.WITHDRAWN
    # The listing stays on the page the operator acted on.
    page = page_holding([item.id for item in await firmware.listing(session, info.device_type)], info.id)
    await firmware.set_state(session, info.id, state)
    answer = t(f"ota-firmware-now-{state}", version=info.version)
    await show(callback, *await _listing(session, t, info.device_type, page, head=answer))
    await callback.answer()


@router.callback_query(OtaFirmwarePage.filter())
async def firmware_page(
    callback: CallbackQuery, *, callback_data: OtaFirmwarePage, session: AsyncSession, t: Translator
) -> None:
    if callback_data.device_type not in await device_types(session):
        await callback.answer(t("stale-button"), show_alert=True)
        return
    await show(callback, *await _listing(session, t, callback_data.device_type, callback_data.page))
    await callback.answer()


async def _listing(
    session: AsyncSession, t: Translator, device_type: str, page: int = 0, *, head: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """A page of the type's firmware, newest first: its lines (after `head`) and what can be done."""
    shown = page_of(await firmware.listing(session, device_type), page)
    text = firmware_list(t, device_type, shown.items)
    return (f"{head}\n\n{text}" if head else text), keyboards.firmware_actions(t, device_type, shown)
