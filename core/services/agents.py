"""Devices that speak HTTP instead of MQTT (SPEC 3a): pairing by code, then a bearer token.

The agent asks for a code (`start_pairing`), the person sends it to the bot with /add exactly as for an MQTT
device (core.services.pairing.claim_code), and the agent polls (`poll`) until paired: that poll returns the
token once; only its SHA-256 is kept. Removing the device revokes it (`revoke`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import catalogue, transport
from core.models import AgentToken, Device, PairingCode, UserDevice
from core.services import pairing

# A uid is the agent's only credential while it waits (it polls with it): as unguessable as a token; its
# prefix tells every part of the system that this device speaks HTTP (core.transport).
_UID_PREFIX = transport.AGENT_UID_PREFIX


class UnknownDeviceType(ValueError):
    """The agent asked to pair as a type the catalogue does not know."""


@dataclass(frozen=True, slots=True)
class PairingStarted:
    uid: str
    code: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PollResult:
    status: str  # "pending", "paired", "expired" or "unknown"
    token: str | None = None


@dataclass(frozen=True, slots=True)
class Agent:
    """Whom a valid token belongs to."""

    device_id: int
    uid: str
    device_type: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_pairing(
    session: AsyncSession, device_type: str, hostname: str | None, now: datetime
) -> PairingStarted:
    """A new pending device of `device_type` (named `hostname`, if given) and its pairing code."""
    if device_type not in catalogue.TYPES:
        raise UnknownDeviceType(device_type)
    uid = _UID_PREFIX + secrets.token_urlsafe(24)
    session.add(Device(device_uid=uid, device_type=device_type, name=hostname))
    await session.flush()
    offer = await pairing.offer_code(session, uid, device_type, None, now)
    if offer is None:  # a device we created a moment ago cannot have an owner
        raise RuntimeError("a new agent device already had an owner")
    return PairingStarted(uid, offer.code, offer.expires_at)


async def poll(session: AsyncSession, uid: str, now: datetime) -> PollResult:
    """Where the agent's pairing stands; the first poll after the claim issues the token (only then)."""
    device = await session.scalar(
        select(Device).where(Device.device_uid == uid, Device.device_uid.startswith(_UID_PREFIX))
    )
    if device is None:
        return PollResult("unknown")
    owned = await session.scalar(
        select(UserDevice.id).where(UserDevice.device_id == device.id, UserDevice.role == "owner")
    )
    if owned is None:
        code = PairingCode
        live = await session.scalar(
            select(code.id).where(code.device_id == device.id, code.used_at.is_(None), code.expires_at > now)
        )
        return PollResult("pending" if live is not None else "expired")
    token = secrets.token_urlsafe(32)
    try:
        async with session.begin_nested():
            session.add(AgentToken(device_id=device.id, token_hash=token_hash(token), created_at=now))
    except IntegrityError:  # issued before: a token is shown once
        await session.rollback()
        return PollResult("paired")
    await session.commit()
    return PollResult("paired", token)


async def authenticate(session: AsyncSession, token: str) -> Agent | None:
    """The device a live token belongs to; None for a wrong, revoked or orphaned token."""
    row = (
        await session.execute(
            select(Device.id, Device.device_uid, Device.device_type)
            .join(AgentToken, AgentToken.device_id == Device.id)
            .join(UserDevice, (UserDevice.device_id == Device.id) & (UserDevice.role == "owner"))
            .where(AgentToken.token_hash == token_hash(token), AgentToken.revoked_at.is_(None))
        )
    ).first()
    return Agent(row[0], row[1], row[2]) if row is not None else None


async def revoke(session: AsyncSession, device_id: int) -> None:
    """The device's token stops working (in the caller's transaction)."""
    await session.execute(
        update(AgentToken)
        .where(AgentToken.device_id == device_id, AgentToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


async def agent_uids(session: AsyncSession) -> list[str]:
    """Every device that speaks HTTP, paired or not (core.transport)."""
    query = select(Device.device_uid).where(Device.device_uid.startswith(transport.AGENT_UID_PREFIX))
    return list(await session.scalars(query))
