"""`GET /firmware/{id}?token=…` on the processor's HTTP side (SPEC 6): a device of a rollout downloads its
image with its own token; a wrong token, another firmware's, or one of a cancelled rollout gets 403.
Range requests (a resumed download) are served by aiohttp's FileResponse."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.services.ota import delivery
from processor.counters import Counters

log = logging.getLogger(__name__)


class FirmwareDownloads:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], firmware_dir: str, counters: Counters
    ) -> None:
        self._sessionmaker = sessionmaker
        self._folder = Path(firmware_dir)
        self._counters = counters

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(r"/firmware/{firmware_id:\d{1,9}}", self._download)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        firmware_id = int(request.match_info["firmware_id"])
        token = request.query.get("token", "")
        async with self._sessionmaker() as session:
            file_name = await delivery.authorize_download(session, firmware_id, token, datetime.now(UTC))
        if file_name is None:
            self._counters.add("firmware_refused")
            log.info("firmware download refused firmware=%s", firmware_id)
            raise web.HTTPForbidden(text="no such download for this token\n")
        path = self._folder / file_name
        if not path.is_file():
            log.error("firmware file missing firmware=%s file=%s", firmware_id, file_name)
            raise web.HTTPNotFound(text="firmware file missing\n")
        self._counters.add("firmware_downloads")
        return web.FileResponse(path, headers={"Content-Type": "application/octet-stream"})
