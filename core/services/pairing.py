"""Pairing a device to its owner (SPEC section 4): codes for devices, claims by users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import notify, transport
from core.models import (
    AlertRule,
    Device,
    DeviceConfig,
    DeviceType,
    PairingAttempt,
    PairingCode,
    User,
    UserDevice,
)
from core.pairing_code import new_code, normalize
from core.services import broker_access

CODE_TTL = timedelta(minutes=15)
ATTEMPT_WINDOW = timedelta(minutes=15)
MAX_WRONG_ATTEMPTS = 5
DEFAULT_DEVICE_TYPE = "co2"


class PairingError(Exception):
    """A claim refused for a reason the user should be told; `reason` keys the message catalogue."""

    reason = "pairing-error"


class MalformedCode(PairingError):
    reason = "malformed"


class WrongCode(PairingError):
    reason = "wrong"


class CodeExpired(PairingError):
    reason = "expired"


class CodeUsed(PairingError):
    reason = "used"


class DeviceOwned(PairingError):
    reason = "owned"


class TooManyAttempts(PairingError):
    reason = "too-many"


class SecretMismatch(Exception):
    """A provision request for a uid registered with another secret: someone else's device, or an impostor."""


@dataclass(frozen=True, slots=True)
class CodeOffer:
    """What the processor publishes on provision/{uid}/response."""

    code: str
    expires_at: datetime


# ---- device side -------------------------------------------------------------------------------------------


async def offer_code(
    session: AsyncSession,
    uid: str,
    device_type: str | None,
    firmware_version: str | None,
    now: datetime,
    *,
    secret: str | None = None,
) -> CodeOffer | None:
    """A pairing code for an unowned device, creating the pending device on first contact.

    The same code comes back while it is valid; None means the device already has an owner. The first
    `secret` a uid asks with is its broker password from then on; another one raises SecretMismatch and
    changes nothing.
    """
    device = await _get_or_create_device(session, uid, device_type, firmware_version)
    if secret is not None:
        hashed = broker_access.secret_hash(secret)
        if device.secret_hash is None:
            device.secret_hash = hashed
        elif device.secret_hash != hashed:
            await session.rollback()
            raise SecretMismatch(uid)
    if await _owner_id(session, device.id) is not None:
        await session.commit()
        return None
    current = await session.scalar(
        select(PairingCode)
        .where(
            PairingCode.device_id == device.id, PairingCode.used_at.is_(None), PairingCode.expires_at > now
        )
        .order_by(PairingCode.expires_at.desc())
        .limit(1)
    )
    if current is None:
        current = await _insert_unique_code(session, device.id, now + CODE_TTL)
    await session.commit()
    return CodeOffer(code=current.code, expires_at=current.expires_at)


async def _get_or_create_device(
    session: AsyncSession, uid: str, device_type: str | None, firmware_version: str | None
) -> Device:
    device = await session.scalar(select(Device).where(Device.device_uid == uid))
    if device is not None:
        return device
    known_type = device_type and await session.scalar(
        select(DeviceType.code).where(DeviceType.code == device_type)
    )
    device = Device(
        device_uid=uid,
        device_type=known_type or DEFAULT_DEVICE_TYPE,
        firmware_version=firmware_version,
    )
    session.add(device)
    await session.flush()
    return device


async def _insert_unique_code(session: AsyncSession, device_id: int, expires_at: datetime) -> PairingCode:
    # 32^8 ≈ 10^12 codes: a collision is rare, but the unique index decides, not luck.
    for _ in range(5):
        pairing = PairingCode(device_id=device_id, code=new_code(), expires_at=expires_at)
        try:
            async with session.begin_nested():
                session.add(pairing)
        except IntegrityError:
            continue
        return pairing
    raise RuntimeError("could not draw a unique pairing code")


async def unannounced_pairings(session: AsyncSession) -> list[tuple[int, str]]:
    """(pairing code id, device uid) of claims the device has not been told about yet."""
    rows = await session.execute(
        select(PairingCode.id, Device.device_uid)
        .join(Device, Device.id == PairingCode.device_id)
        .where(PairingCode.used_at.is_not(None), PairingCode.announced_at.is_(None))
    )
    return [(row[0], row[1]) for row in rows]


async def mark_announced(session: AsyncSession, code_id: int, now: datetime) -> None:
    pairing = await session.get(PairingCode, code_id)
    if pairing is not None:
        pairing.announced_at = now
    await session.commit()


# ---- user side ---------------------------------------------------------------------------------------------


async def claim_code(session: AsyncSession, user: User, typed: str, now: datetime) -> Device:
    """Make `user` the owner of the device the code was issued to; raise PairingError with the reason.

    Guarantees: a code works once, within 15 minutes, for a device without an owner; a user who typed
    5 wrong codes within 15 minutes is refused until the window moves on. On success the device gets its
    name, its default config and alert rules, and the processor is signalled to tell the device.
    """
    # The user's row is the lock: a burst of concurrent /add counts each wrong attempt before the next looks.
    await session.execute(select(User.id).where(User.id == user.id).with_for_update())
    if await _recent_wrong_attempts(session, user.id, now) >= MAX_WRONG_ATTEMPTS:
        raise TooManyAttempts
    code = normalize(typed)
    pairing = code and await session.scalar(
        select(PairingCode).where(PairingCode.code == code).with_for_update()
    )
    if not pairing:
        session.add(PairingAttempt(user_id=user.id, created_at=now))
        await session.commit()
        raise MalformedCode if code is None else WrongCode
    if pairing.used_at is not None:
        raise CodeUsed
    if pairing.expires_at <= now:
        raise CodeExpired
    device = await session.get_one(Device, pairing.device_id, with_for_update=True)
    if await _owner_id(session, device.id) is not None:
        raise DeviceOwned
    pairing.used_at, pairing.used_by = now, user.id
    if transport.is_agent(device.device_uid):
        pairing.announced_at = now  # nothing to announce over MQTT: the agent learns it by polling
    await _adopt(session, user, device, now)
    await notify.notify(session, notify.DEVICE_PAIRED, device.device_uid)
    await session.commit()
    return device


async def _recent_wrong_attempts(session: AsyncSession, user_id: int, now: datetime) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(PairingAttempt)
        .where(PairingAttempt.user_id == user_id, PairingAttempt.created_at > now - ATTEMPT_WINDOW)
    )
    return int(count or 0)


async def _owner_id(session: AsyncSession, device_id: int) -> int | None:
    return await session.scalar(
        select(UserDevice.user_id).where(UserDevice.device_id == device_id, UserDevice.role == "owner")
    )


async def _adopt(session: AsyncSession, user: User, device: Device, now: datetime) -> None:
    device_type = await session.scalar(select(DeviceType).where(DeviceType.code == device.device_type))
    defaults = device_type.default_config if device_type else {}
    type_name = device_type.name if device_type else device.device_type
    same_type = await session.scalar(
        select(func.count())
        .select_from(UserDevice)
        .join(Device, Device.id == UserDevice.device_id)
        .where(UserDevice.user_id == user.id, Device.device_type == device.device_type)
    )
    device.name = device.name or f"{type_name} #{int(same_type or 0) + 1}"
    device.paired_at = now
    session.add(UserDevice(user_id=user.id, device_id=device.id, role="owner"))
    await _reset_desired_state(session, device.id, defaults)
    if user.current_device_id is None:
        user.current_device_id = device.id


async def _reset_desired_state(session: AsyncSession, device_id: int, defaults: dict[str, object]) -> None:
    """A newly paired device starts from its type's defaults, whatever a previous owner had set."""
    config = await session.scalar(select(DeviceConfig).where(DeviceConfig.device_id == device_id))
    if config is None:
        config = DeviceConfig(device_id=device_id, version=1)
        session.add(config)
    else:
        config.version += 1
    config.report_interval = int(defaults.get("report_interval", 30))  # type: ignore[call-overload]
    rules = defaults.get("alert_rules", [])
    co2_rule = next((rule for rule in rules if rule["metric"] == "co2"), None)  # type: ignore[attr-defined]
    if co2_rule is not None:
        config.co2_threshold = int(co2_rule["threshold"])
    # A bulk DELETE now, not session.delete(): the unit of work flushes inserts before deletes, so the
    # new rules would collide with the old ones on (device_id, metric, direction) when a device is re-paired.
    await session.execute(delete(AlertRule).where(AlertRule.device_id == device_id))
    for rule in rules:  # type: ignore[attr-defined]
        session.add(AlertRule(device_id=device_id, **rule))
