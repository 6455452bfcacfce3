"""An owner updates a device (SPEC 4 /update): which devices have a newer stable firmware, starting a
one-device rollout (owners only), and the owner's self-editing progress message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import transport
from core.models import Device, RolloutTarget, UserDevice
from core.services.access import Action
from core.services.devices import authorize
from core.services.ota import firmware, rollouts
from core.services.ota.rules import Scope


@dataclass(frozen=True, slots=True)
class Offer:
    device_id: int
    device_name: str
    running: str | None
    version: str


@dataclass(frozen=True, slots=True)
class Started:
    rollout_id: int
    device_name: str
    version: str


@dataclass(frozen=True, slots=True)
class Progress:
    rollout_id: int
    device_id: int
    chat_id: int
    message_id: int
    device_name: str
    version: str
    state: str
    error: str | None
    language: str


def _name(device: Device) -> str:
    return device.name or device.device_uid


async def offers(session: AsyncSession, user_id: int) -> list[Offer]:
    """The user's own devices for which a stable version newer than the running one exists."""
    owned = await session.scalars(
        select(Device)
        .join(UserDevice, UserDevice.device_id == Device.id)
        .where(UserDevice.user_id == user_id, UserDevice.role == "owner", transport.speaks_mqtt())
        .order_by(Device.id)
    )
    result = []
    for device in owned:
        newer = await firmware.newest_stable(session, device.device_type, device.firmware_version)
        if newer is not None:
            result.append(Offer(device.id, _name(device), device.firmware_version, newer.version))
    return result


async def agents_owned(session: AsyncSession, user_id: int) -> list[str]:
    """Names of the user's own devices that speak HTTP: /update says why it never offers them anything."""
    owned = await session.scalars(
        select(Device)
        .join(UserDevice, UserDevice.device_id == Device.id)
        .where(UserDevice.user_id == user_id, UserDevice.role == "owner", ~transport.speaks_mqtt())
        .order_by(Device.id)
    )
    return [_name(device) for device in owned]


async def available(session: AsyncSession, device_id: int) -> str | None:
    """The newest stable version above the one the device runs, if any (the card's "Update firmware")."""
    device = await session.get(Device, device_id)
    if device is None or transport.is_agent(device.device_uid):
        return None
    newer = await firmware.newest_stable(session, device.device_type, device.firmware_version)
    return newer.version if newer else None


async def start(session: AsyncSession, user_id: int, device_id: int) -> Started | None:
    """Update the device to its type's newest stable version; AccessDenied unless the caller owns it,
    MqttOnly for a device that speaks HTTP (its firmware cannot reach it); None when there is nothing newer
    or an update is already under way. Commits."""
    await authorize(session, user_id, device_id, Action.UPDATE_FIRMWARE)
    device = await session.get(Device, device_id)
    assert device is not None
    if transport.is_agent(device.device_uid):
        raise transport.MqttOnly(device.device_uid)
    newer = await firmware.newest_stable(session, device.device_type, device.firmware_version)
    if newer is None:
        return None
    try:
        rollout_id = await rollouts.start(
            session, firmware_id=newer.id, scope=Scope.DEVICE, device_id=device_id, started_by=user_id
        )
    except rollouts.RolloutError:
        return None
    return Started(rollout_id, _name(device), newer.version)


async def follow(
    session: AsyncSession, rollout_id: int, device_id: int, chat_id: int, message_id: int
) -> None:
    """The message the owner's progress is edited into from now on. Commits."""
    await session.execute(
        update(RolloutTarget)
        .where(RolloutTarget.rollout_id == rollout_id, RolloutTarget.device_id == device_id)
        .values(progress_chat_id=chat_id, progress_message_id=message_id)
    )
    await session.commit()


_FOLLOWED = text(
    """
    SELECT t.rollout_id, t.device_id, t.progress_chat_id, t.progress_message_id, d.name, d.device_uid,
           f.version, t.state, t.error, COALESCE(u.language, 'en') AS language
    FROM rollout_targets t
    LEFT JOIN users u ON u.telegram_id = t.progress_chat_id
    JOIN rollouts r ON r.id = t.rollout_id JOIN firmware f ON f.id = r.firmware_id
    JOIN devices d ON d.id = t.device_id
    WHERE t.progress_message_id IS NOT NULL AND (t.finished_at IS NULL OR t.finished_at > :since)
    """
)


async def followed(session: AsyncSession, now: datetime) -> list[Progress]:
    """Progress messages still worth editing: unfinished updates and those finished in the last hour."""
    rows = await session.execute(_FOLLOWED, {"since": now - timedelta(hours=1)})
    return [
        Progress(
            row.rollout_id,
            row.device_id,
            row.progress_chat_id,
            row.progress_message_id,
            row.name or row.device_uid,
            row.version,
            row.state,
            row.error,
            row.language,
        )
        for row in rows
    ]
