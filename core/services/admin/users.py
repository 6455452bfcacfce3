"""Every user, as an operator sees them: search, a card with their devices, blocking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Device, User, UserDevice
from core.services.admin.search import Page, as_number, like_pattern, page_of


@dataclass(frozen=True, slots=True)
class UserLine:
    id: int
    telegram_id: int
    username: str | None
    first_name: str | None
    is_active: bool
    blocked: bool
    devices: int


@dataclass(frozen=True, slots=True)
class Membership:
    device_id: int
    device_name: str
    role: str


@dataclass(frozen=True, slots=True)
class UserCard:
    user: UserLine
    language: str
    created_at: datetime
    memberships: tuple[Membership, ...]


def _matching(query: str) -> ColumnElement[bool]:
    pattern = like_pattern(query)
    clauses: list[ColumnElement[bool]] = [
        User.username.ilike(pattern),
        User.first_name.ilike(pattern),
    ]
    number = as_number(query)
    if number is not None:
        clauses.append(User.telegram_id == number)
    return or_(*clauses)


def _line(user: User, devices: int) -> UserLine:
    return UserLine(
        user.id,
        user.telegram_id,
        user.username,
        user.first_name,
        user.is_active,
        user.blocked_at is not None,
        devices,
    )


async def find_users(session: AsyncSession, query: str | None, page: int) -> Page[UserLine]:
    """Users whose name contains `query` or whose Telegram id is it (all users without one), newest first."""
    devices = select(func.count()).where(UserDevice.user_id == User.id).correlate(User).scalar_subquery()
    listing = select(User, devices.label("devices"))
    return await page_of(
        session, listing, _matching, query, page, item=lambda row: _line(row.User, int(row.devices))
    )


async def user_card(session: AsyncSession, user_id: int) -> UserCard | None:
    """The user with each device they are linked to and their role on it; None if there is no such user."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    rows = await session.execute(
        select(Device.id, func.coalesce(Device.name, Device.device_uid), UserDevice.role)
        .join(UserDevice, UserDevice.device_id == Device.id)
        .where(UserDevice.user_id == user_id)
        .order_by(Device.id)
    )
    memberships = tuple(Membership(int(d), str(name), str(role)) for d, name, role in rows)
    return UserCard(_line(user, len(memberships)), user.language, user.created_at, memberships)


async def set_blocked(session: AsyncSession, user_id: int, blocked: bool, now: datetime) -> bool:
    """Block (the bot ignores the user; their devices keep reporting) or unblock; False for no such user."""
    result = await session.execute(
        update(User).where(User.id == user_id).values(blocked_at=now if blocked else None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
