"""The owner's members list: change a member's role, revoke, hand ownership to an admin."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_data.sharing import MemberAction, MemberList, MemberOp, MemberPage
from bot.keyboards import sharing as keyboards
from bot.replies import show, tell
from bot.texts import Catalogue, Translator
from bot.views.fitting import fit_blocks
from core.models import User
from core.services import devices, sharing
from core.services.access import Action, Role
from core.services.users import display_name

router = Router(name=__name__)

MEMBER_ICONS = {Role.OWNER: "👑", Role.ADMIN: "🛠", Role.VIEWER: "👁"}


@router.callback_query(MemberList.filter())
async def list_members(
    callback: CallbackQuery, *, callback_data: MemberList, session: AsyncSession, user: User, t: Translator
) -> None:
    await _show_members(callback, session, user, t, callback_data.device_id)
    await callback.answer()


@router.callback_query(MemberPage.filter())
async def members_page(
    callback: CallbackQuery, *, callback_data: MemberPage, session: AsyncSession, user: User, t: Translator
) -> None:
    await _show_members(callback, session, user, t, callback_data.device_id, callback_data.page)
    await callback.answer()


async def _show_members(  # noqa: PLR0917 - the page travels with the rest
    callback: CallbackQuery, session: AsyncSession, user: User, t: Translator, device_id: int, page: int = 0
) -> None:
    device = await devices.device_summary(session, user.id, device_id, Action.SHARE)
    people = await sharing.members(session, user.id, device_id)
    lines = [
        t(
            "share-member-line",
            icon=MEMBER_ICONS[member.role],
            member=member.name,
            role=t(f"role-{member.role}"),
        )
        for member in people
    ]
    text = fit_blocks(t, t("share-members-title", name=device.name), lines, separator="\n")
    await show(callback, text, keyboards.members(t, device_id, people, page))


@router.callback_query(MemberAction.filter(F.op.in_({MemberOp.MAKE_ADMIN, MemberOp.MAKE_VIEWER})))
async def change_role(
    callback: CallbackQuery,
    *,
    callback_data: MemberAction,
    session: AsyncSession,
    user: User,
    t: Translator,
    catalogue: Catalogue,
    bot: Bot,
) -> None:
    role = Role.ADMIN if callback_data.op == MemberOp.MAKE_ADMIN else Role.VIEWER
    device_id = callback_data.device_id
    member = await sharing.change_role(session, user.id, device_id, callback_data.user_id, role)
    device = await devices.device_summary(session, user.id, device_id)
    await _show_members(callback, session, user, t, device_id)
    await callback.answer(t("share-role-changed", member=display_name(member), role=t(f"role-{role}")))
    member_t = catalogue[member.language]
    text = member_t("share-role-changed-member", name=device.name, role=member_t(f"role-{role}"))
    await tell(bot, session, member, text)


@router.callback_query(MemberAction.filter(F.op == MemberOp.REVOKE))
async def revoke(
    callback: CallbackQuery,
    *,
    callback_data: MemberAction,
    session: AsyncSession,
    user: User,
    t: Translator,
    catalogue: Catalogue,
    bot: Bot,
) -> None:
    device_id = callback_data.device_id
    device = await devices.device_summary(session, user.id, device_id, Action.SHARE)
    member = await sharing.revoke(session, user.id, device_id, callback_data.user_id)
    await _show_members(callback, session, user, t, device_id)
    await callback.answer(t("share-revoked", member=display_name(member)))
    await tell(bot, session, member, catalogue[member.language]("share-revoked-member", name=device.name))


# ---- ownership transfer --------------------------------------------------------------------------------


@router.callback_query(MemberAction.filter(F.op == MemberOp.TRANSFER))
async def confirm_transfer(
    callback: CallbackQuery, *, callback_data: MemberAction, session: AsyncSession, user: User, t: Translator
) -> None:
    device = await devices.device_summary(session, user.id, callback_data.device_id, Action.TRANSFER)
    candidate = next(
        (m for m in await sharing.members(session, user.id, device.id) if m.user_id == callback_data.user_id),
        None,
    )
    if candidate is None or candidate.role != Role.ADMIN:
        raise sharing.NotAnAdmin
    text = t("share-confirm-transfer", member=candidate.name, name=device.name)
    await show(callback, text, keyboards.confirm_transfer(t, device.id, candidate.user_id))
    await callback.answer()


@router.callback_query(MemberAction.filter(F.op == MemberOp.TRANSFER_CONFIRM))
async def transfer(
    callback: CallbackQuery,
    *,
    callback_data: MemberAction,
    session: AsyncSession,
    user: User,
    t: Translator,
    catalogue: Catalogue,
    bot: Bot,
) -> None:
    device = await devices.device_summary(session, user.id, callback_data.device_id, Action.TRANSFER)
    new_owner = await sharing.transfer(session, user.id, device.id, callback_data.user_id)
    await show(callback, t("share-transferred", member=display_name(new_owner), name=device.name))
    await callback.answer()
    await tell(
        bot, session, new_owner, catalogue[new_owner.language]("share-transferred-member", name=device.name)
    )
