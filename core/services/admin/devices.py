"""Every device, as an operator sees it: search, and a card with its owner, members and last reading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Device, User, UserDevice
from core.services.admin.search import Page, as_number, like_pattern, page_of
from core.services.readings import Reading, latest_reading


@dataclass(frozen=True, slots=True)
class DeviceLine:
    id: int
    uid: str
    name: str
    device_type: str
    is_online: bool
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    telegram_id: int
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class DeviceCard:
    device: DeviceLine
    firmware: str | None
    members: tuple[Member, ...]  # the owner first
    reading: Reading | None

    @property
    def owner(self) -> Member | None:
        return next((member for member in self.members if member.role == "owner"), None)


def _matching(query: str) -> ColumnElement[bool]:
    pattern = like_pattern(query)
    clauses: list[ColumnElement[bool]] = [Device.name.ilike(pattern), Device.device_uid.ilike(pattern)]
    number = as_number(query)
    if number is not None:
        # A Telegram id finds that person's devices.
        owned = (
            select(UserDevice.device_id)
            .join(User, User.id == UserDevice.user_id)
            .where(User.telegram_id == number)
        )
        clauses.append(Device.id.in_(owned))
    return or_(*clauses)


def _line(device: Device) -> DeviceLine:
    return DeviceLine(
        device.id,
        device.device_uid,
        device.name or device.device_uid,
        device.device_type,
        device.is_online,
        device.last_seen,
    )


async def find_devices(session: AsyncSession, query: str | None, page: int) -> Page[DeviceLine]:
    """Devices whose name or uid contains `query`, or linked to the Telegram id it is; newest first."""
    return await page_of(session, select(Device), _matching, query, page, item=lambda row: _line(row.Device))


async def device_card(session: AsyncSession, device_id: int) -> DeviceCard | None:
    """The device with everyone linked to it (owner first) and its newest reading; None if unknown."""
    device = await session.get(Device, device_id)
    if device is None:
        return None
    rows = await session.execute(
        select(User, UserDevice.role)
        .join(UserDevice, UserDevice.user_id == User.id)
        .where(UserDevice.device_id == device_id)
        .order_by(UserDevice.role != "owner", UserDevice.id)
    )
    members = tuple(
        Member(user.id, user.telegram_id, user.username or user.first_name or str(user.telegram_id), role)
        for user, role in rows
    )
    reading = await latest_reading(session, device_id)
    return DeviceCard(_line(device), device.firmware_version, members, reading)
