"""The bot's /metrics: sends by result (the delivery worker's own tally), the outbox depth and each running
broadcast's progress (read from PostgreSQL just before the scrape)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import OutboxMessage
from core.monitoring.metrics import Refresh
from core.services import broadcast


class DeliveryCollector(Collector):
    def __init__(self, outcomes: Counter[str]) -> None:
        self._outcomes = outcomes

    def collect(self) -> Iterator[Metric]:
        deliveries = CounterMetricFamily(
            "smartair_bot_deliveries",
            "Outbox sends by result (sent, retry_after, blocked, refused, retry)",
            labels=["result"],
        )
        for result, count in sorted(self._outcomes.items()):
            deliveries.add_metric([result], count)
        yield deliveries


def bot_metrics(
    registry: CollectorRegistry, sessionmaker: async_sessionmaker[AsyncSession], outcomes: Counter[str]
) -> Refresh:
    """Register the bot's metrics on `registry`; returns the refresh to run before each scrape."""
    registry.register(DeliveryCollector(outcomes))
    depth = Gauge("smartair_outbox_depth", "Notices waiting or being sent", registry=registry)
    progress = Gauge(
        "smartair_broadcast_messages",
        "Running broadcasts' recipients by state",
        ["broadcast", "state"],
        registry=registry,
    )

    async def refresh_from_database() -> None:
        now = datetime.now(UTC)
        async with sessionmaker() as session:
            waiting = await session.scalar(
                select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
            )
            depth.set(int(waiting or 0))
            progress.clear()
            for broadcast_id in await broadcast.in_progress(session):
                state = await broadcast.progress(session, broadcast_id, now)
                if state is None:
                    continue
                for name, value in (("sent", state.sent), ("failed", state.failed), ("left", state.left)):
                    progress.labels(str(broadcast_id), name).set(value)

    return refresh_from_database
