"""What each device may do on the broker (SPEC section 3, broker security), derived from PostgreSQL.

Plain rules, no MQTT: the processor (processor/broker_access.py) turns them into Mosquitto dynamic-security
clients and roles. A device has rights only if it registered a secret (its broker password) by asking for a
code with it:
- `PAIRED` (it has an owner): its own topics — publish telemetry, status, events and provision requests;
  subscribe config, commands, ota and its provision responses;
- `PENDING` (no owner, a valid code): ask for codes, and read the answers meant for it;
- `NONE` (no owner, no valid code: removed, or its code expired): no account at all; asking again with the
  same secret brings it back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import datetime
from enum import StrEnum

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import topics, transport
from core.models import Device, PairingCode, UserDevice

Acl = tuple[str, str]  # (dynamic-security acltype, literal topic)


class Access(StrEnum):
    NONE = "none"
    PENDING = "pending"
    PAIRED = "paired"


def secret_hash(secret: str) -> str:
    """What PostgreSQL keeps of a device's secret: enough to recognise it, useless to log in with."""
    return hashlib.sha256(secret.encode()).hexdigest()


def role_name(uid: str) -> str:
    return f"device-{uid}"


def acls(uid: str, access: Access) -> frozenset[Acl]:
    """The literal topics of one device's role (Mosquitto 2.0 roles cannot say %u)."""
    if access is Access.NONE:
        return frozenset()
    pending = {
        ("publishClientSend", topics.provision_request(uid)),
        ("subscribeLiteral", topics.provision_response(uid)),
    }
    if access is Access.PENDING:
        return frozenset(pending)
    sends = [("publishClientSend", topics.device_topic(uid, kind)) for kind in topics.DEVICE_INBOUND]
    reads = [
        ("subscribeLiteral", topics.device_topic(uid, kind))
        for kind in (topics.CONFIG, topics.COMMANDS, topics.OTA)
    ]
    return frozenset([*pending, *sends, *reads])


async def desired(
    session: AsyncSession, now: datetime, uids: Collection[str] | None = None
) -> dict[str, Access]:
    """The access every device with a registered secret should have now (only `uids`, when given)."""
    owned = exists().where(UserDevice.device_id == Device.id, UserDevice.role == "owner")
    waiting = exists().where(
        PairingCode.device_id == Device.id, PairingCode.used_at.is_(None), PairingCode.expires_at > now
    )
    # An agent (HTTP) never has a secret; said all the same: it has no broker account, whatever a row says.
    query = select(Device.device_uid, owned, waiting).where(
        Device.secret_hash.is_not(None), transport.speaks_mqtt()
    )
    if uids is not None:
        query = query.where(Device.device_uid.in_(list(uids)))
    result: dict[str, Access] = {}
    for uid, is_owned, is_waiting in await session.execute(query):
        result[uid] = Access.PAIRED if is_owned else Access.PENDING if is_waiting else Access.NONE
    return result
