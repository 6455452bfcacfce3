"""Each program's HTTP side (SPEC 2: `PROCESSOR_HTTP_PORT`, `BOT_HTTP_PORT`): one aiohttp server per process.

The composition root builds the application with `new_app()`, each feature adds its own routes to it, and
`serving()` runs it for as long as the program runs. A port that cannot be bound stops the program at start.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

log = logging.getLogger(__name__)


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def new_app() -> web.Application:
    """An application that already answers `/healthz`; features add their routes before `serving()`."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_get("/healthz", _healthz)
    return app


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
