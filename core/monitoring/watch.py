"""One call wires what operators see of a program: error notices, heartbeat, /metrics, database health."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiohttp import web as aiohttp_web
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core import web
from core.monitoring.errors import ErrorReporter
from core.monitoring.health import database_check, heartbeat
from core.monitoring.metrics import Refresh, add_metrics_route
from core.supervisor import Supervisor


def watch(
    program: str,
    app: aiohttp_web.Application,
    *,
    tasks: Supervisor,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    operators: frozenset[int],
    registry: CollectorRegistry,
    refresh: Sequence[Refresh] = (),
) -> ErrorReporter:
    """Before `app` is served: every ERROR logged by the program becomes an operator notice (throttled), its
    heartbeat row is kept fresh, `/metrics` serves `registry` and `/healthz` checks the database."""
    reporter = ErrorReporter(program, sessionmaker, operators, registry)
    logging.getLogger().addHandler(reporter)
    tasks.start("error_reports", reporter.run)
    tasks.start("heartbeat", lambda: heartbeat(sessionmaker, program))
    web.add_health_check(app, "database", database_check(engine))
    add_metrics_route(app, registry, refresh)
    return reporter
