"""A user's alert history for /alerts: pages newest first, unread counts, marking read.

Every query is filtered by the caller's user id: page numbers arrive from Telegram buttons and only ever
select among the caller's own alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Alert, Device

PAGE_SIZE = 10
# Beyond this many pages the history is old news; the bound also keeps a tampered page number cheap.
MAX_PAGES = 50


@dataclass(frozen=True, slots=True)
class AlertItem:
    id: int
    device_name: str
    alert_type: str
    value: float | None
    threshold: float | None
    held: bool
    is_read: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AlertPage:
    number: int  # 0 = newest
    pages: int
    unread: int
    items: list[AlertItem]


async def alert_page(session: AsyncSession, user_id: int, number: int) -> AlertPage:
    """Page `number` of the user's alerts, newest first; a number out of range is clamped into it."""
    total, unread = (
        await session.execute(
            select(func.count(), func.count().filter(~Alert.is_read)).where(Alert.user_id == user_id)
        )
    ).one()
    pages = max(1, min(MAX_PAGES, -(-int(total) // PAGE_SIZE)))
    number = min(max(number, 0), pages - 1)
    rows = await session.execute(
        select(Alert, func.coalesce(Device.name, Device.device_uid))
        .join(Device, Device.id == Alert.device_id)
        .where(Alert.user_id == user_id)
        .order_by(Alert.created_at.desc(), Alert.id.desc())
        .offset(number * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    items = [
        AlertItem(a.id, name, a.type, a.value, a.threshold, a.held, a.is_read, a.created_at)
        for a, name in rows
    ]
    return AlertPage(number, pages, int(unread), items)


async def mark_all_read(session: AsyncSession, user_id: int) -> int:
    """Mark every alert of the user read (nobody else's); returns how many changed. Commits."""
    result = await session.execute(
        update(Alert).where(Alert.user_id == user_id, ~Alert.is_read).values(is_read=True)
    )
    await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
