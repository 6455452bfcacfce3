"""Sharing a device (SPEC section 4): single-use invitations with a role, members, roles, ownership.

Invitation tokens are shown once and stored only as their SHA-256, so a database leak yields no usable link.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Device, Invitation, LiveWatcher, User, UserDevice
from core.services.access import Action, Role, is_grantable, may_receive_ownership
from core.services.devices import authorize, role_of
from core.services.users import display_name

INVITATION_TTL = timedelta(hours=24)
# 18 random bytes = 144 bits (the contract asks for at least 128), 24 URL-safe characters: it fits
# Telegram's 64-character deep-link parameter with the `inv_` prefix.
TOKEN_BYTES = 18
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,60}")


class SharingError(Exception):
    """A sharing step refused for a reason the user should be told."""

    reason = "sharing-error"


class InvitationUnknown(SharingError):
    reason = "unknown"


class InvitationUsed(SharingError):
    reason = "used"


class InvitationExpired(SharingError):
    reason = "expired"


class OwnDevice(SharingError):
    reason = "own"


class AlreadyMember(SharingError):
    reason = "member"


class NotAMember(SharingError):
    reason = "not-member"


class BadRole(SharingError):
    reason = "bad-role"


class NotAnAdmin(SharingError):
    reason = "not-admin"


@dataclass(frozen=True, slots=True)
class Invite:
    token: str
    role: Role
    device_name: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Accepted:
    device_id: int
    device_name: str
    role: Role
    owner: User | None


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    name: str
    role: Role


def hash_token(token: str) -> str:
    """What the database keeps of an invitation token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def invite(session: AsyncSession, owner_id: int, device_id: int, role: str, now: datetime) -> Invite:
    """A fresh single-use invitation to the device with `role`, valid 24 hours; only the owner may."""
    await authorize(session, owner_id, device_id, Action.SHARE)
    if not is_grantable(role):
        raise BadRole
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = Invitation(
        token_hash=hash_token(token),
        device_id=device_id,
        role=role,
        created_by=owner_id,
        expires_at=now + INVITATION_TTL,
    )
    session.add(invitation)
    device = await session.get_one(Device, device_id)
    await session.commit()
    return Invite(token, Role(role), device.name or device.device_uid, invitation.expires_at)


async def accept(session: AsyncSession, user: User, token: str, now: datetime) -> Accepted:
    """Link `user` to the invitation's device with its role; the token works once, within 24 hours.

    Refused without using the token up when the user already has a link to the device.
    """
    device_id = _TOKEN_SHAPE.fullmatch(token) and await session.scalar(
        select(Invitation.device_id).where(Invitation.token_hash == hash_token(token))
    )
    if not device_id:
        raise InvitationUnknown
    # The device's row first, as removal takes it: an acceptance racing the owner's removal waits for it,
    # then finds the invitation gone, instead of linking a member to a device nobody owns.
    await session.execute(select(Device.id).where(Device.id == device_id).with_for_update())
    invitation = await session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token)).with_for_update()
    )
    if not invitation or await _owner(session, device_id) is None:
        raise InvitationUnknown
    if invitation.used_at is not None:
        raise InvitationUsed
    if invitation.expires_at <= now:
        raise InvitationExpired
    current_role = await role_of(session, user.id, invitation.device_id)
    if current_role == Role.OWNER:
        raise OwnDevice
    if current_role is not None:
        raise AlreadyMember
    invitation.used_at, invitation.used_by = now, user.id
    session.add(UserDevice(user_id=user.id, device_id=invitation.device_id, role=invitation.role))
    if user.current_device_id is None:
        user.current_device_id = invitation.device_id
    device = await session.get_one(Device, invitation.device_id)
    owner = await _owner(session, invitation.device_id)
    await session.commit()
    return Accepted(device.id, device.name or device.device_uid, Role(invitation.role), owner)


async def members(session: AsyncSession, owner_id: int, device_id: int) -> list[Member]:
    """Everyone linked to the device, owner first; only the owner may look."""
    await authorize(session, owner_id, device_id, Action.SHARE)
    rows = await session.execute(
        select(User, UserDevice.role)
        .join(UserDevice, UserDevice.user_id == User.id)
        .where(UserDevice.device_id == device_id)
        .order_by(UserDevice.created_at, UserDevice.id)
    )
    found = [Member(user.id, display_name(user), Role(role)) for user, role in rows]
    return sorted(found, key=lambda member: member.role != Role.OWNER)


async def change_role(
    session: AsyncSession, owner_id: int, device_id: int, member_id: int, role: str
) -> User:
    """Give a member (not the owner) another grantable role; returns the member."""
    await authorize(session, owner_id, device_id, Action.SHARE)
    if not is_grantable(role):
        raise BadRole
    await _member_link(session, device_id, member_id)
    await session.execute(
        update(UserDevice)
        .where(UserDevice.device_id == device_id, UserDevice.user_id == member_id)
        .values(role=role)
    )
    member = await session.get_one(User, member_id)
    await session.commit()
    return member


async def revoke(session: AsyncSession, owner_id: int, device_id: int, member_id: int) -> User:
    """Take a member's access away; returns the member so they can be told."""
    await authorize(session, owner_id, device_id, Action.SHARE)
    await _member_link(session, device_id, member_id)
    await session.execute(
        delete(UserDevice).where(UserDevice.device_id == device_id, UserDevice.user_id == member_id)
    )
    # Their live views of it end too: the bot's next renewal no longer finds the device.
    await session.execute(
        delete(LiveWatcher).where(LiveWatcher.device_id == device_id, LiveWatcher.user_id == member_id)
    )
    member = await session.get_one(User, member_id)
    if member.current_device_id == device_id:
        member.current_device_id = None
    await session.commit()
    return member


async def transfer(session: AsyncSession, owner_id: int, device_id: int, member_id: int) -> User:
    """Make an admin member the owner; the previous owner stays on as an admin. Returns the new owner."""
    await authorize(session, owner_id, device_id, Action.TRANSFER)
    link = await _member_link(session, device_id, member_id)
    if not may_receive_ownership(link.role):
        raise NotAnAdmin
    # Demote first: the database allows exactly one owner per device at every moment.
    await _set_role(session, device_id, owner_id, Role.ADMIN)
    await _set_role(session, device_id, member_id, Role.OWNER)
    new_owner = await session.get_one(User, member_id)
    await session.commit()
    return new_owner


async def _set_role(session: AsyncSession, device_id: int, user_id: int, role: Role) -> None:
    await session.execute(
        update(UserDevice)
        .where(UserDevice.device_id == device_id, UserDevice.user_id == user_id)
        .values(role=role.value)
    )
    await session.flush()


async def _member_link(session: AsyncSession, device_id: int, member_id: int) -> UserDevice:
    """The link of a non-owner member, locked for the change; NotAMember otherwise."""
    link = await session.scalar(
        select(UserDevice)
        .where(UserDevice.device_id == device_id, UserDevice.user_id == member_id)
        .with_for_update()
    )
    if link is None or link.role == Role.OWNER:
        raise NotAMember
    return link


async def _owner(session: AsyncSession, device_id: int) -> User | None:
    return await session.scalar(
        select(User)
        .join(UserDevice, UserDevice.user_id == User.id)
        .where(UserDevice.device_id == device_id, UserDevice.role == Role.OWNER.value)
    )
