"""The agent's firmware updates (SPEC 6): one update at a time, from the retained `devices/{uid}/ota`
document to `success` (after the device came back on the new slot and published a reading) or to
`failed` / `rolled_back` with the reason. What is pending survives a restart of the agent: the state lives
in the reading buffer's key-value table, so a device that dies mid-update resumes or rolls back at boot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from device.agent.buffer import ReadingBuffer
from device.agent.settings import AgentSettings
from device.ota import Document, Slots, UpdateFailed, download, verify

log = logging.getLogger(__name__)

# Boots on a new slot without a healthy reading before the agent calls it a crash loop and rolls back.
MAX_BOOTS = 3

Publish = Callable[[bytes], Awaitable[None]]


def event(update_id: str, state: str, error: str | None = None) -> bytes:
    body: dict[str, Any] = {"type": "ota", "id": update_id, "state": state}
    if error:
        body["error"] = error[:400]
    return orjson.dumps(body)


class Updater:
    def __init__(
        self, settings: AgentSettings, buffer: ReadingBuffer, publish: Publish, reboot: Callable[[], None]
    ) -> None:
        self._settings, self._buffer = settings, buffer
        self._publish, self._reboot = publish, reboot
        self._slots = Slots(settings.slots_dir)
        self._task: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None

    @property
    def version(self) -> str:
        """The firmware this device runs: the active slot's, or the configured one before any update."""
        return self._slots.version() or self._settings.firmware_version

    def _pending(self) -> dict[str, Any] | None:
        raw = self._buffer.get_state("ota_pending")
        return orjson.loads(raw) if raw else None

    def _set_pending(self, pending: dict[str, Any] | None) -> None:
        self._buffer.set_state("ota_pending", orjson.dumps(pending).decode() if pending else "")

    def offer(self, payload: bytes) -> None:
        """A retained document arrived (empty: cleared by the server)."""
        if not payload or (self._task is not None and not self._task.done()):
            return
        try:
            body = orjson.loads(payload)
            document = Document(**{key: body[key] for key in Document.__slots__})
        except (orjson.JSONDecodeError, KeyError, TypeError) as error:
            log.warning("ota document ignored error=%s", str(error)[:200])
            return
        pending = self._pending()
        if document.version == self.version or self._buffer.get_state("ota_done") == document.id:
            return  # already runs it, or already answered it: an update happens once
        if pending is not None and pending.get("id") == document.id:
            return  # waiting for the health check of this very update
        self._task = asyncio.create_task(self._update(document))

    async def _update(self, document: Document) -> None:
        part = self._settings.slots_dir / f"download-{document.id}.part"
        state = "failed"
        try:
            await self._publish(event(document.id, "downloading"))
            await asyncio.to_thread(self._settings.slots_dir.mkdir, parents=True, exist_ok=True)
            await download(document, part)
            await self._publish(event(document.id, "verifying"))
            await asyncio.to_thread(verify, document, part, self._settings.firmware_public_key)
            await self._publish(event(document.id, "installing"))
            state = "rolled_back"  # from here on a failure leaves the old slot active
            previous = self._slots.active()
            slot = await asyncio.to_thread(self._slots.install, part, document.version)
            await self._install_delay()
            self._set_pending({"id": document.id, "previous": previous, "boots": 0})
            await asyncio.to_thread(self._slots.switch, slot)
        except (UpdateFailed, OSError) as error:
            log.warning("ota update failed id=%s error=%s", document.id, error)
            self._buffer.set_state("ota_done", document.id)
            await self._publish(event(document.id, state, str(error)))
            return
        finally:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(part.unlink, missing_ok=True)
        log.info("ota installed id=%s version=%s: restarting into it", document.id, document.version)
        self._reboot()

    async def _install_delay(self) -> None:
        # A test hook: time to kill the device in the middle of its install (DEVICE_OTA_INSTALL_DELAY).
        if self._settings.ota_install_delay:
            await asyncio.sleep(self._settings.ota_install_delay)

    @property
    def awaiting_health(self) -> bool:
        """An update was installed and waits for its first reading on the new version."""
        return self._pending() is not None

    async def connected(self) -> None:
        """The device (re)connected: a pending update waits for its health check, or rolls back."""
        pending = self._pending()
        if pending is None:
            return
        pending["boots"] = int(pending.get("boots", 0)) + 1
        self._set_pending(pending)
        if pending["boots"] > MAX_BOOTS:
            await self._roll_back(pending, "crash loop on the new version")
            return
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = asyncio.create_task(self._health_deadline(pending))

    async def _health_deadline(self, pending: dict[str, Any]) -> None:
        await asyncio.sleep(self._settings.ota_health_timeout)
        if self._pending() is not None:
            await self._roll_back(pending, "no healthy reading on the new version")

    async def healthy(self) -> None:
        """A reading reached the broker: a pending update succeeded."""
        pending = self._pending()
        if pending is None:
            return
        self._set_pending(None)
        self._buffer.set_state("ota_done", str(pending["id"]))
        if self._watchdog is not None:
            self._watchdog.cancel()
        log.info("ota success id=%s version=%s", pending["id"], self.version)
        await self._publish(event(str(pending["id"]), "success"))

    async def _roll_back(self, pending: dict[str, Any], reason: str) -> None:
        await asyncio.to_thread(self._slots.switch, str(pending["previous"]))
        self._set_pending(None)
        self._buffer.set_state("ota_done", str(pending["id"]))
        log.warning("ota rolled back id=%s reason=%s", pending["id"], reason)
        await self._publish(event(str(pending["id"]), "rolled_back", reason))
        self._reboot()
