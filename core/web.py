"""Each program's HTTP side (SPEC 2: `PROCESSOR_HTTP_PORT`, `BOT_HTTP_PORT`): one aiohttp server per process.

The composition root builds the application with `new_app()`, each feature adds its own routes to it, and
`serving()` runs it for as long as the program runs. A port that cannot be bound stops the program at start.
`/healthz` answers 200 while every check the program added (`add_health_check`: its database, its broker)
passes, 503 naming the failing ones otherwise: what compose's healthcheck and a load balancer look at.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)


# True while the part it looks at works.
Check = Callable[[], Awaitable[bool]]
CHECK_TIMEOUT = 3.0
_CHECKS = web.AppKey("health_checks", dict[str, Check])


async def _passes(check: Check) -> bool:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            return await check()
    except TimeoutError:
        return False


async def _healthz(request: web.Request) -> web.Response:
    results = {name: await _passes(check) for name, check in request.app[_CHECKS].items()}
    healthy = all(results.values())
    return web.json_response(
        {"status": "ok" if healthy else "failing", "checks": results}, status=200 if healthy else 503
    )


def new_app() -> web.Application:
    """An application that already answers `/healthz`; features add their routes before `serving()`."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[_CHECKS] = {}
    app.router.add_get("/healthz", _healthz)
    return app


def add_health_check(app: web.Application, name: str, check: Check) -> None:
    """`/healthz` fails while `check()` is False (or takes longer than CHECK_TIMEOUT)."""
    app[_CHECKS][name] = check


@contextlib.asynccontextmanager
async def serving(app: web.Application, port: int, host: str = "0.0.0.0") -> AsyncIterator[int]:
    """Serve `app` on `host:port` (0 = any free port) and yield the bound port; stop on leaving."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        log.info("http serving port=%s", bound)
        yield int(bound)
    finally:
        await runner.cleanup()
