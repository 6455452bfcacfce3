"""Prometheus text on /metrics: one registry per program, filled by its parts, refreshed before a scrape."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

# Figures read from the database (outbox depth, broadcast progress) are set by these just before a scrape.
Refresh = Callable[[], Awaitable[None]]


def add_metrics_route(
    app: web.Application, registry: CollectorRegistry, refresh: Sequence[Refresh] = ()
) -> None:
    async def metrics(_request: web.Request) -> web.Response:
        for step in refresh:
            try:
                await step()
            except Exception:  # a stale gauge beats no metrics at all; the failure reaches the log
                log.warning("metrics refresh failed step=%s", getattr(step, "__name__", step), exc_info=True)
        body = generate_latest(registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/metrics", metrics)
