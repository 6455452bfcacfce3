"""A user's devices: listing with the latest reading, the device card's changes, removal and leaving.

Every function that touches a device takes the caller's user id and checks the caller's role on it
in the database: ids arriving from Telegram buttons are claims, not facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import notify, transport
from core.models import METRICS, Device, Invitation, LiveWatcher, Telemetry, User, UserDevice
from core.services import agents
from core.services.access import Action, Role, ensure
from core.services.readings import Reading, reading_of

NAME_MAX_LENGTH = 64


class DeviceError(Exception):
    """A device change refused for a reason the user should be told."""

    reason = "device-error"


class BadName(DeviceError):
    reason = "bad-name"


@dataclass(frozen=True, slots=True)
class DeviceSummary:
    """One device as one user sees it."""

    id: int
    uid: str
    device_type: str
    name: str
    location: str | None
    is_online: bool
    last_seen: datetime | None
    role: Role
    notifications: bool
    reading: Reading | None

    @property
    def agent(self) -> bool:
        """It speaks HTTP (SPEC 3a): commands, firmware and config pushes cannot reach it."""
        return transport.is_agent(self.uid)

    @property
    def last_contact(self) -> datetime | None:
        """When the device was last heard from: its status or its newest reading, whichever is later."""
        reading_ts = self.reading.ts if self.reading is not None else None
        moments = [moment for moment in (self.last_seen, reading_ts) if moment is not None]
        return max(moments) if moments else None


async def role_of(session: AsyncSession, user_id: int, device_id: int) -> Role | None:
    """The user's role on the device, None without a link (or without such a device)."""
    role = await session.scalar(
        select(UserDevice.role).where(UserDevice.user_id == user_id, UserDevice.device_id == device_id)
    )
    return Role(role) if role is not None else None


async def authorize(session: AsyncSession, user_id: int, device_id: int, action: Action) -> Role:
    """The caller's role when it allows `action` on the device; AccessDenied otherwise."""
    return ensure(await role_of(session, user_id, device_id), action)


def _summaries_query() -> Select[Any]:
    # One query for all devices: the LATERAL subquery probes each device's newest telemetry row by index.
    # Plain columns, not Device entities: /status runs this on every request, and building ORM objects
    # (identity map, attribute state) cost more than the query itself (bench/status_findings.md).
    latest = (
        select(Telemetry.ts, *(Telemetry.__table__.c[name] for name in METRICS))
        .where(Telemetry.device_id == Device.id)
        .order_by(Telemetry.ts.desc())
        .limit(1)
        .lateral("latest")
    )
    return (
        select(
            Device.id,
            Device.device_uid,
            Device.device_type,
            Device.name,
            Device.location,
            Device.is_online,
            Device.last_seen,
            UserDevice.role,
            UserDevice.notifications,
            latest.c.ts,
            *(latest.c[name] for name in METRICS),
        )
        .join(UserDevice, UserDevice.device_id == Device.id)
        .outerjoin(latest, true())
        .where(UserDevice.user_id == bindparam("user_id"))
        .order_by(Device.name, Device.id)
    )


# Built once, with the user as a parameter: SQLAlchemy then also computes its cache key once, instead of
# walking the whole statement on every /status.
SUMMARIES = _summaries_query()


def _summary(row: Row[Any]) -> DeviceSummary:
    id_, uid, device_type, name, location, is_online, last_seen, role, notifications, ts, *values = tuple(row)
    reading = reading_of(ts, dict(zip(METRICS, values, strict=True))) if ts is not None else None
    return DeviceSummary(
        id=id_,
        uid=uid,
        device_type=device_type,
        name=name or uid,
        location=location,
        is_online=is_online,
        last_seen=last_seen,
        role=Role(role),
        notifications=notifications,
        reading=reading,
    )


async def _summaries(session: AsyncSession, query: Select[Any], user_id: int) -> list[DeviceSummary]:
    # Through the session's connection (Core rows): the ORM's result machinery adds nothing to plain
    # columns but time; the session's transaction is still the one used.
    connection = await session.connection()
    return [_summary(row) for row in await connection.execute(query, {"user_id": user_id})]


async def my_devices(session: AsyncSession, user_id: int) -> list[DeviceSummary]:
    """Every device linked to the user, with its role and newest reading, in one query."""
    return await _summaries(session, SUMMARIES, user_id)


async def device_summary(
    session: AsyncSession, user_id: int, device_id: int, action: Action = Action.VIEW
) -> DeviceSummary:
    """One device as the caller sees it; AccessDenied unless the caller's role allows `action`."""
    await authorize(session, user_id, device_id, action)
    (summary,) = await _summaries(session, SUMMARIES.where(Device.id == device_id), user_id)
    return summary


def _clean_label(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > NAME_MAX_LENGTH:
        raise BadName
    return cleaned


async def rename(session: AsyncSession, user_id: int, device_id: int, name: str) -> None:
    """Rename the device for everyone (owner or admin); spaces are tidied, 1 to 64 characters."""
    await authorize(session, user_id, device_id, Action.CONFIGURE)
    await session.execute(update(Device).where(Device.id == device_id).values(name=_clean_label(name)))
    await session.commit()


async def set_location(session: AsyncSession, user_id: int, device_id: int, location: str | None) -> None:
    """Set, or with None clear, where the device stands."""
    await authorize(session, user_id, device_id, Action.CONFIGURE)
    value = _clean_label(location) if location is not None else None
    await session.execute(update(Device).where(Device.id == device_id).values(location=value))
    await session.commit()


async def set_notifications(session: AsyncSession, user_id: int, device_id: int, enabled: bool) -> None:
    """The caller's own switch: other members' notifications are untouched."""
    await authorize(session, user_id, device_id, Action.NOTIFICATIONS)
    await session.execute(
        update(UserDevice)
        .where(UserDevice.user_id == user_id, UserDevice.device_id == device_id)
        .values(notifications=enabled, muted_until=None)
    )
    await session.commit()


async def select_current(session: AsyncSession, user: User, device_id: int) -> None:
    """Make the device the one /live, /history and /settings act on."""
    await authorize(session, user.id, device_id, Action.VIEW)
    user.current_device_id = device_id
    await session.commit()


async def remove(session: AsyncSession, user_id: int, device_id: int) -> list[User]:
    """Unpair: every link and pending invitation goes and the device waits for a new owner.

    Returns the other members who lost access, so they can be told.
    """
    await authorize(session, user_id, device_id, Action.REMOVE)
    # Taken before anything else, as an invitation being accepted takes it (core.services.sharing.accept).
    await session.execute(select(Device.id).where(Device.id == device_id).with_for_update())
    members = await _members_except(session, device_id, user_id)
    await _unlink(session, device_id, None)
    await session.execute(delete(Invitation).where(Invitation.device_id == device_id))
    await session.execute(delete(LiveWatcher).where(LiveWatcher.device_id == device_id))
    await agents.revoke(session, device_id)
    # A new owner starts afresh: the name and place were the previous owner's.
    uid = await session.scalar(
        update(Device)
        .where(Device.id == device_id)
        .values(paired_at=None, name=None, location=None)
        .returning(Device.device_uid)
    )
    if uid is not None:
        await notify.notify(session, notify.DEVICE_REMOVED, uid)
    await session.commit()
    return members


async def leave(session: AsyncSession, user_id: int, device_id: int) -> None:
    """A member drops their own link; the owner must remove or transfer instead."""
    await authorize(session, user_id, device_id, Action.LEAVE)
    await _unlink(session, device_id, user_id)
    await session.commit()


async def _members_except(session: AsyncSession, device_id: int, user_id: int) -> list[User]:
    rows = await session.scalars(
        select(User)
        .join(UserDevice, UserDevice.user_id == User.id)
        .where(UserDevice.device_id == device_id, User.id != user_id)
    )
    return list(rows)


async def _unlink(session: AsyncSession, device_id: int, user_id: int | None) -> None:
    """Drop one user's link (or, with None, everybody's) and stop it being their current device."""
    links = delete(UserDevice).where(UserDevice.device_id == device_id)
    current = update(User).where(User.current_device_id == device_id).values(current_device_id=None)
    if user_id is not None:
        links = links.where(UserDevice.user_id == user_id)
        current = current.where(User.id == user_id)
    await session.execute(links)
    await session.execute(current)


async def count(session: AsyncSession, user_id: int) -> int:
    """How many devices the user has a link to."""
    total = await session.scalar(select(func.count()).where(UserDevice.user_id == user_id))
    return int(total or 0)
