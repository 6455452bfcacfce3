"""Buttons of /share: device, role, members and what the owner does with them."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from core.services.access import Role


class SharePick(CallbackData, prefix="shrp"):
    """A page of /share's device picker."""

    page: int


class ShareDevice(CallbackData, prefix="shr"):
    device_id: int


class ShareInvite(CallbackData, prefix="inv"):
    device_id: int
    role: Role


class MemberList(CallbackData, prefix="mbs"):
    device_id: int


class MemberPage(CallbackData, prefix="mbsp"):
    """A page of the members list's buttons (bot.keyboards.paging)."""

    device_id: int
    page: int


class MemberOp(StrEnum):
    MAKE_ADMIN = "admin"
    MAKE_VIEWER = "viewer"
    REVOKE = "revoke"
    TRANSFER = "transfer"
    TRANSFER_CONFIRM = "transfer_ok"


class MemberAction(CallbackData, prefix="mbr"):
    op: MemberOp
    device_id: int
    user_id: int
