"""A round-robin HTTP load balancer in front of several bot replicas, for webhook mode: each request goes to
the next replica in turn, headers and body unchanged; which replica got which user's message is kept."""

from __future__ import annotations

import contextlib
import itertools
import json
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from core.web import serving
from sandbox.ports import free_port


@dataclass
class RoundRobin:
    backends: list[int]  # the replicas' HTTP ports on 127.0.0.1
    port: int = field(default_factory=free_port)
    # message_id of a message update -> the port of the replica that was given it
    routed: dict[int, int] = field(default_factory=dict)
    _turns: itertools.cycle[int] | None = None
    _serving: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    _client: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._turns = itertools.cycle(self.backends)
        self._client = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._forward)
        await self._serving.enter_async_context(serving(app, self.port, host="127.0.0.1"))

    async def close(self) -> None:
        await self._serving.aclose()
        if self._client is not None:
            await self._client.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._turns is not None and self._client is not None
        backend = next(self._turns)
        body = await request.read()
        message = (json.loads(body) if body else {}).get("message")
        if message is not None:
            self.routed[int(message["message_id"])] = backend
        headers = {k: v for k, v in request.headers.items() if k.lower() not in {"host", "content-length"}}
        url = f"http://127.0.0.1:{backend}{request.path_qs}"
        async with self._client.request(request.method, url, data=body, headers=headers) as response:
            return web.Response(status=response.status, body=await response.read())
