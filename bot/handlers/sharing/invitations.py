"""/share and `/start inv_<token>`: the owner invites someone to a device with a role; they accept."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.sharing import ShareDevice, ShareInvite, SharePick
from bot.keyboards import sharing as keyboards
from bot.replies import show, tell
from bot.texts import Catalogue, Translator
from core.models import User
from core.services import devices, sharing
from core.services.access import Action, can
from core.services.users import display_name

router = Router(name=__name__)

INVITATION_PREFIX = "inv_"


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(INVITATION_PREFIX)))
async def accept_invitation(
    message: Message,
    *,
    command: CommandObject,
    session: AsyncSession,
    user: User,
    t: Translator,
    catalogue: Catalogue,
    bot: Bot,
) -> None:
    token = (command.args or "").removeprefix(INVITATION_PREFIX)
    accepted = await sharing.accept(session, user, token, datetime.now(UTC))
    await message.answer(t("share-accepted", name=accepted.device_name, role=t(f"role-{accepted.role}")))
    if accepted.owner is not None:
        owner_t = catalogue[accepted.owner.language]
        text = owner_t(
            "share-accepted-owner",
            member=display_name(user),
            name=accepted.device_name,
            role=owner_t(f"role-{accepted.role}"),
        )
        await tell(bot, session, accepted.owner, text)


@router.message(Command("share"))
async def share(message: Message, *, session: AsyncSession, user: User, t: Translator) -> None:
    owned = await _shareable(session, user)
    if not owned:
        await message.answer(t("share-no-devices"))
        return
    await message.answer(t("share-pick-device"), reply_markup=keyboards.owned_devices(t, owned))


@router.callback_query(SharePick.filter())
async def picker_page(
    callback: CallbackQuery, *, callback_data: SharePick, session: AsyncSession, user: User, t: Translator
) -> None:
    owned = await _shareable(session, user)
    await show(callback, t("share-pick-device"), keyboards.owned_devices(t, owned, callback_data.page))
    await callback.answer()


async def _shareable(session: AsyncSession, user: User) -> list[devices.DeviceSummary]:
    return [device for device in await devices.my_devices(session, user.id) if can(device.role, Action.SHARE)]


@router.callback_query(ShareDevice.filter())
async def pick_role(
    callback: CallbackQuery, *, callback_data: ShareDevice, session: AsyncSession, user: User, t: Translator
) -> None:
    device = await devices.device_summary(session, user.id, callback_data.device_id, Action.SHARE)
    await show(callback, t("share-pick-role", name=device.name), keyboards.roles(t, device.id))
    await callback.answer()


@router.callback_query(ShareInvite.filter())
async def create_invitation(
    callback: CallbackQuery,
    *,
    callback_data: ShareInvite,
    session: AsyncSession,
    user: User,
    t: Translator,
    bot: Bot,
) -> None:
    invite = await sharing.invite(
        session, user.id, callback_data.device_id, callback_data.role, datetime.now(UTC)
    )
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={INVITATION_PREFIX}{invite.token}"
    text = t(
        "share-invitation",
        name=invite.device_name,
        role=t(f"role-{invite.role}"),
        link=link,
        token=invite.token,
    )
    await bot.send_message(user.telegram_id, text, reply_markup=keyboards.invitation(t, link))
    await callback.answer()
