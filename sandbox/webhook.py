"""Webhook delivery after setWebhook: updates POSTed to the bot in order, one at a time, retried until taken.

As Telegram does: a non-2xx answer or a connection error keeps the update at the head of the queue and is
tried again after a pause (growing to 10 s); `X-Telegram-Bot-Api-Secret-Token` carries the secret token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp

from core.retry import Backoff
from core.supervisor import ALWAYS, Supervisor

log = logging.getLogger(__name__)

# Telegram's own pauses are not published; these grow from 0.5 s to 10 s.
RETRY_PAUSES = Backoff(first=0.5, ceiling=10.0)


class WebhookSender:
    def __init__(self, url: str, secret_token: str | None) -> None:
        self.url = url
        self._headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token else {}
        self._pending: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._last_error: tuple[int, str] | None = None
        self._tasks = Supervisor("sandbox webhook")
        self._tasks.start("sandbox_webhook", self._run, restarts=ALWAYS)

    def push(self, update: dict[str, Any]) -> None:
        self._pending.append(update)
        self._arrived.set()

    def info(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._last_error:
            body["last_error_date"], body["last_error_message"] = self._last_error
        return body

    async def stop(self) -> list[dict[str, Any]]:
        """Stop delivering; returns the updates not yet taken."""
        await self._tasks.stop()
        return self._pending

    async def _run(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            failures = 0
            while True:
                if not self._pending:
                    self._arrived.clear()
                    await self._arrived.wait()
                    continue
                if await self._post(session, self._pending[0]):
                    self._pending.pop(0)
                    failures = 0
                else:
                    await asyncio.sleep(RETRY_PAUSES.delay(failures))
                    failures += 1

    async def _post(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> bool:
        try:
            async with session.post(self.url, json=update, headers=self._headers) as response:
                if response.status < 300:
                    return True
                reason = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as error:
            reason = f"Connection failed: {type(error).__name__}"
        self._last_error = (int(time.time()), reason)
        log.warning(
            "webhook delivery failed url=%s update_id=%s reason=%s", self.url, update["update_id"], reason
        )
        return False
