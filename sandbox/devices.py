"""The device panel: what each simulated device would show on its own screen (its pairing code, or paired).

The fleet simulator (`python -m device.simulate --provision --sandbox URL`) reports each provisioning answer
its devices receive on their own MQTT topic; nothing else can read those codes, so the sandbox subscribes to
nothing and learns them only as a person next to the device would: by looking at it.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from core.topics import UID_PATTERN
from sandbox.botapi import BotApiServer

STATUSES = {"pending", "paired", "unpaired", "refused"}


class DevicePanel:
    def __init__(self, server: BotApiServer) -> None:
        self._server = server
        self._devices: dict[str, dict[str, Any]] = {}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/api/devices", self._list)
        app.router.add_post("/api/devices", self._report)

    def devices(self) -> list[dict[str, Any]]:
        return sorted(self._devices.values(), key=lambda device: device["uid"])

    async def _list(self, _request: web.Request) -> web.Response:
        return web.json_response(self.devices())

    async def _report(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            device = _device(body)
        except (ValueError, TypeError, KeyError) as error:
            return web.json_response({"error": f"bad device report: {error}"}, status=400)
        self._devices[device["uid"]] = device
        self._server.publish({"kind": "device", "device": device})
        return web.Response(status=204)


def _device(body: Any) -> dict[str, Any]:
    uid, status = str(body["uid"]), str(body["status"])
    if not UID_PATTERN.fullmatch(uid) or status not in STATUSES:
        raise ValueError("uid must be a device uid and status one of " + ", ".join(sorted(STATUSES)))
    device: dict[str, Any] = {"uid": uid, "status": status, "reported_at": int(time.time())}
    if status == "pending":
        device["code"] = str(body["code"])[:16]
        device["expires_at"] = int(body["expires_at"])
    return device
