"""Feeding readings to the alert engine as the processor would, and reading alerts and outbox rows back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, text

from core.models import Alert, OutboxMessage
from core.services.alerting import DeviceReading, Outcome, evaluate_batch
from sandbox.seed import Sessions


async def feed(
    sessions: Sessions, device_id: int, start: datetime, co2: Sequence[tuple[float, float]]
) -> Outcome:
    """Each (seconds after `start`, ppm) arrives fresh, in its own batch, as the processor would feed it."""
    outcome = Outcome()
    for offset, value in co2:
        ts = start + timedelta(seconds=offset)
        async with sessions() as session:
            outcome = await evaluate_batch(session, [DeviceReading(device_id, ts, {"co2": value})], ts)
            await session.commit()
    return outcome


async def alerts_of(sessions: Sessions, user_id: int, device_id: int) -> list[Alert]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Alert).where(Alert.user_id == user_id, Alert.device_id == device_id).order_by(Alert.id)
        )
        return list(rows)


async def outbox_of(sessions: Sessions, user_id: int, kind: str = "alert") -> list[OutboxMessage]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.user_id == user_id, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def waiting_for_a_row_lock(sessions: Sessions) -> bool:
    """True once some other session of this database waits for a row lock."""
    async with sessions() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
        )
    return bool(waiting)
