"""Fan-out of notices: one `alerts` row per subscribed user, one outbox row each unless night mode holds it.

Runs in the caller's transaction and never commits: alert rows, outbox rows and the NOTIFY become visible
together when the caller commits, or not at all.

Outbox payload of kind "alert" (times are ISO 8601 UTC; the bot renders them in the user's zone):
always alert_id, alert_type, device_id, device_name, value, threshold, critical, at;
threshold alerts (co2_high, co2_critical, humidity_low, co2_normal, …) add metric, direction, since (when the
value went beyond the threshold; for a recovery, when the alert fired), peak, recovered, and for a recovery
duration_seconds; device_offline adds reason ("last_will" | "silence") and last_seen; device_online adds
offline_since and duration_seconds. Kind "digest" is described in core.services.digest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import ARRAY, Integer, any_, bindparam, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core import notify
from core.alerts import in_night
from core.billing import grace
from core.models import Device, DeviceConfig, User, UserDevice

log = logging.getLogger(__name__)

ALERT_KIND = "alert"


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to tell a device's users. `details` go into the outbox payload as they are (JSON values)."""

    device_id: int
    alert_type: str
    value: float | None = None
    threshold: float | None = None
    critical: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A user who hears about a device: linked, notifications on, not muted, not blocked."""

    user_id: int
    device_id: int
    device_name: str
    timezone: str
    night_start: int | None
    night_end: int | None


@dataclass(frozen=True, slots=True)
class FanOut:
    alerts: int = 0
    queued: int = 0
    held: int = 0


async def subscribers(
    session: AsyncSession, device_ids: Sequence[int], now: datetime
) -> dict[int, list[Subscriber]]:
    """Who hears about each device right now, in one query for all of `device_ids`."""
    rows = await session.execute(
        select(
            UserDevice.user_id,
            UserDevice.device_id,
            Device.name,
            Device.device_uid,
            User.timezone,
            DeviceConfig.night_mode_start,
            DeviceConfig.night_mode_end,
        )
        .join(User, User.id == UserDevice.user_id)
        .join(Device, Device.id == UserDevice.device_id)
        .outerjoin(DeviceConfig, DeviceConfig.device_id == UserDevice.device_id)
        .where(
            # One array parameter, not one per device: a mass outage may name tens of thousands.
            UserDevice.device_id == any_(bindparam("device_ids", sorted(set(device_ids)), ARRAY(Integer))),
            UserDevice.notifications,
            or_(UserDevice.muted_until.is_(None), UserDevice.muted_until <= now),
            User.is_active,
            # A device paused by an overdue invoice alerts nobody until it is paid.
            grace.not_paused(UserDevice.device_id),
        )
        .order_by(UserDevice.device_id, UserDevice.user_id)
    )
    found: dict[int, list[Subscriber]] = {}
    for user_id, device_id, name, uid, tz, start, end in rows:
        found.setdefault(device_id, []).append(Subscriber(user_id, device_id, name or uid, tz, start, end))
    return found


async def fan_out(session: AsyncSession, notices: Sequence[Notice], now: datetime) -> FanOut:
    """Write the alert rows and outbox rows for `notices`, then queue one NOTIFY for the bot.

    Guarantees: one `alerts` row per notice and subscriber; an outbox row for each of them except
    non-critical notices during the subscriber's night (those rows are `held` for the morning digest).
    """
    if not notices:
        return FanOut()
    audience = await subscribers(session, [notice.device_id for notice in notices], now)
    pairs = [(notice, who) for notice in notices for who in audience.get(notice.device_id, ())]
    if not pairs:
        return FanOut()
    held = [_held(notice, who, now) for notice, who in pairs]
    await session.execute(_FAN_OUT, _fan_out_params(pairs, held, now))
    return FanOut(alerts=len(pairs), queued=held.count(False), held=sum(held))


def _held(notice: Notice, who: Subscriber, now: datetime) -> bool:
    if notice.critical:
        return False
    try:
        return in_night(now, who.night_start, who.night_end, who.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        # A notice delivered at night is a nuisance; a notice never delivered is a failure.
        log.warning("unknown time zone user_id=%s timezone=%r", who.user_id, who.timezone)
        return False


# One statement, one round trip, for what used to be three (alert rows, outbox rows, the bot's signal): the
# alert ids are drawn first, so each outbox row names its own alert without relying on the order in which
# INSERT … RETURNING hands rows back, and on the order of the notices (a user's alert history reads in the
# order things happened). The signal's payload is the newest outbox id; none is sent when all were held.
_FAN_OUT = text("""
WITH given AS (
    SELECT g.*, nextval(pg_get_serial_sequence('alerts', 'id')) AS alert_id
    FROM unnest(CAST(:device_ids AS int[]), CAST(:user_ids AS int[]), CAST(:types AS text[]),
                CAST(:values AS real[]), CAST(:thresholds AS real[]), CAST(:held AS bool[]),
                CAST(:payloads AS text[])) WITH ORDINALITY
        AS g(device_id, user_id, type, value, threshold, held, payload, n)
    ORDER BY g.n
), alerts_in AS (
    INSERT INTO alerts (id, device_id, user_id, type, value, threshold, held, created_at)
    SELECT alert_id, device_id, user_id, type, value, threshold, held, :now FROM given ORDER BY alert_id
), outbox_in AS (
    INSERT INTO notification_outbox (user_id, alert_id, kind, payload, next_attempt_at, created_at)
    SELECT user_id, alert_id, :kind, CAST(payload AS jsonb) || jsonb_build_object('alert_id', alert_id),
           :now, :now
    FROM given WHERE NOT held ORDER BY alert_id
    RETURNING id
)
SELECT pg_notify(:channel, CAST(max(id) AS text)) FROM outbox_in HAVING count(*) > 0
""")


def _fan_out_params(
    pairs: Sequence[tuple[Notice, Subscriber]], held: Sequence[bool], now: datetime
) -> dict[str, Any]:
    return {
        "device_ids": [notice.device_id for notice, _ in pairs],
        "user_ids": [who.user_id for _, who in pairs],
        "types": [notice.alert_type for notice, _ in pairs],
        "values": [notice.value for notice, _ in pairs],
        "thresholds": [notice.threshold for notice, _ in pairs],
        "held": list(held),
        "payloads": [json.dumps(_payload(notice, who, now)) for notice, who in pairs],
        "now": now,
        "kind": ALERT_KIND,
        "channel": notify.OUTBOX,
    }


def _payload(notice: Notice, who: Subscriber, now: datetime) -> dict[str, Any]:
    """Everything the bot needs to render the notice later, in the user's language and time zone (the
    statement adds alert_id)."""
    return {
        **notice.details,
        "alert_type": notice.alert_type,
        "device_id": notice.device_id,
        "device_name": who.device_name,
        "value": notice.value,
        "threshold": notice.threshold,
        "critical": notice.critical,
        "at": now.isoformat(),
    }
