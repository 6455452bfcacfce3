"""The bot's HTTP route `/yookassa`: YooKassa's payment notifications (core.billing.notifications decides)."""

from __future__ import annotations

import json
import logging
from collections import Counter

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.billing import notifications

log = logging.getLogger(__name__)
# A notification is a small JSON object; anything bigger is not one.
MAX_BODY = 64 * 1024


def add_routes(
    app: web.Application, sessionmaker: async_sessionmaker[AsyncSession], verdicts: Counter[str]
) -> None:
    """`/yookassa` and the payment page's return URL; each notification's verdict is tallied in `verdicts`
    (the bot's /metrics, core.billing.metrics)."""

    async def receive(request: web.Request) -> web.Response:
        raw = await request.content.read(MAX_BODY + 1)
        try:
            body = json.loads(raw) if len(raw) <= MAX_BODY else None
        except ValueError:
            body = None
        verdict = await notifications.handle(sessionmaker, body)
        verdicts[verdict.value] += 1
        return web.Response(status=verdict.http_status)

    async def returned(_request: web.Request) -> web.Response:
        return web.Response(
            text="Payment sent. You can go back to Telegram: the bot tells you when it is applied."
        )

    app.router.add_post("/yookassa", receive)
    app.router.add_get("/billing/return", returned)
