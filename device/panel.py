"""What each simulated device would show on its screen, shown on the sandbox's device panel instead.

A real device displays its pairing code (or prints it on its console); the simulator's devices post theirs to
`python -m sandbox` (`--sandbox URL`), in order, so a person trying the web chat can read them there. The
sandbox being down loses nothing but the panel: the codes are still printed.
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Any

import aiohttp

from core.supervisor import ALWAYS, Supervisor

log = logging.getLogger(__name__)


class SandboxPanel:
    def __init__(self, base_url: str) -> None:
        self._url = base_url.rstrip("/") + "/api/devices"
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        # The panel is a convenience: a bug in it is logged and the poster restarted, for as long as it runs.
        self._tasks = Supervisor("sandbox panel")
        self._warned = False

    async def __aenter__(self) -> SandboxPanel:
        self._tasks.start("sandbox_panel", self._run, restarts=ALWAYS)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self._tasks.stop()

    def show(self, uid: str, body: Any) -> None:
        """Called with each provisioning answer a device receives on provision/{uid}/response."""
        if isinstance(body, dict) and "status" in body:
            self._queue.put_nowait({"uid": uid, **body})

    async def _run(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            while True:
                report = await self._queue.get()
                await self._post(session, report)

    async def _post(self, session: aiohttp.ClientSession, report: dict[str, Any]) -> None:
        try:
            async with session.post(self._url, json=report) as response:
                if response.status >= 300:
                    log.warning("sandbox panel refused uid=%s status=%s", report["uid"], response.status)
                    return
            self._warned = False
        except (aiohttp.ClientError, TimeoutError) as error:
            if not self._warned:  # once per outage, not once per device
                log.warning("sandbox panel unreachable url=%s error=%s", self._url, type(error).__name__)
                self._warned = True
