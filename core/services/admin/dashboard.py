"""The /admin dashboard's figures, each one query over indexed columns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Alert, Device, NodeHealth, OutboxMessage, User

# Billing's service, once it exists: revenue of the month that contains the moment, None while billing is off.
RevenueSource = Callable[[AsyncSession, datetime], Awaitable[Decimal | None]]


@dataclass(frozen=True, slots=True)
class Node:
    """One program's heartbeat row, as /admin shows it."""

    program: str
    started_at: datetime
    beat_at: datetime
    last_error: str | None
    last_error_at: datetime | None


@dataclass(frozen=True, slots=True)
class Dashboard:
    users_active: int
    users_unreachable: int  # blocked the bot
    users_blocked: int  # blocked by an operator
    devices_online: int
    devices_offline: int
    devices_never_seen: int
    readings_last_minute: int
    readings_last_day: int
    alerts_today: int
    outbox_depth: int
    revenue_this_month: Decimal | None
    nodes: tuple[Node, ...]


# Readings of the last day from the hourly rollup: a reading counts once, under its most-counted metric.
_READINGS_LAST_DAY = text("""
SELECT coalesce(sum(readings), 0) FROM (
    SELECT max(count) AS readings FROM telemetry_hourly WHERE bucket > :since GROUP BY device_id, bucket
) per_hour
""")
_READINGS_SINCE = text("SELECT count(*) FROM telemetry WHERE ts > :since")


async def dashboard(
    session: AsyncSession, now: datetime, timezone: str, revenue: RevenueSource | None = None
) -> Dashboard:
    """Every figure of /admin as of `now`; "today" and "this month" are the operator's `timezone`'s."""
    users = await _users(session)
    devices = await _devices(session)
    minute = await session.scalar(_READINGS_SINCE, {"since": now - timedelta(minutes=1)})
    # The rollup lags by its fold interval and counts whole hours: the day is the last 24 whole hours.
    day = await session.scalar(_READINGS_LAST_DAY, {"since": now - timedelta(hours=24)})
    midnight = now.astimezone(ZoneInfo(timezone)).replace(hour=0, minute=0, second=0, microsecond=0)
    alerts = await session.scalar(select(func.count()).where(Alert.created_at >= midnight))
    depth = await session.scalar(select(func.count()).where(OutboxMessage.status.in_(("pending", "sending"))))
    return Dashboard(
        *users,
        *devices,
        readings_last_minute=int(minute or 0),
        readings_last_day=int(day or 0),
        alerts_today=int(alerts or 0),
        outbox_depth=int(depth or 0),
        revenue_this_month=await revenue(session, now) if revenue is not None else None,
        nodes=await nodes(session),
    )


async def _users(session: AsyncSession) -> tuple[int, int, int]:
    blocked = User.blocked_at.is_not(None)
    row = (
        await session.execute(
            select(
                func.count().filter(User.is_active, ~blocked),
                func.count().filter(~User.is_active),
                func.count().filter(blocked),
            )
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


async def _devices(session: AsyncSession) -> tuple[int, int, int]:
    seen = Device.last_seen.is_not(None)
    row = (
        await session.execute(
            select(
                func.count().filter(Device.is_online),
                func.count().filter(~Device.is_online, seen),
                func.count().filter(~Device.is_online, ~seen),
            )
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


async def nodes(session: AsyncSession) -> tuple[Node, ...]:
    """Each program's heartbeat, by name."""
    rows = await session.scalars(select(NodeHealth).order_by(NodeHealth.program))
    return tuple(
        Node(row.program, row.started_at, row.beat_at, row.last_error, row.last_error_at) for row in rows
    )
