"""Webhook mode (`BOT_WEBHOOK_URL`): Telegram POSTs updates to `/telegram` on the bot's HTTP side.

Every replica registers the same URL (a load balancer in front splits the requests) with the same secret
token, which aiogram's handler checks on every request: a POST without it is refused with 401.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from core.supervisor import Supervisor

log = logging.getLogger(__name__)

PATH = "/telegram"


def secret_token(bot_token: str) -> str:
    """The webhook's secret token, derived from the bot token: every replica computes the same one, and no
    further secret needs configuring. Telegram allows 1-256 characters of [A-Za-z0-9_-]."""
    return hashlib.sha256(b"smartair-webhook:" + bot_token.encode()).hexdigest()


def add_routes(app: web.Application, dispatcher: Dispatcher, bot: Bot) -> None:
    """`POST /telegram` feeds the dispatcher; call before the application is served."""
    handler = SimpleRequestHandler(dispatcher, bot, secret_token=secret_token(bot.token))
    handler.register(app, path=PATH)


async def receive_while_healthy(
    dispatcher: Dispatcher, bot: Bot, url: str, tasks: Supervisor, stopping: asyncio.Event
) -> None:
    """Start the dispatcher, register the webhook and serve it until `stopping` is set (SIGTERM/SIGINT); a
    background task that gives up raises `TaskFailed` here, as in polling mode. The webhook stays registered
    on the way out: the other replicas still answer it."""
    workflow = {"dispatcher": dispatcher, "bots": [bot], **dispatcher.workflow_data}
    await dispatcher.emit_startup(bot=bot, **workflow)
    try:
        await bot.set_webhook(
            url,
            secret_token=secret_token(bot.token),
            allowed_updates=dispatcher.resolve_used_update_types(),
        )
        log.info("webhook registered url=%s", url)
        await tasks.until(stopping)
    finally:
        await dispatcher.emit_shutdown(bot=bot, **workflow)


async def unregister(bot: Bot) -> None:
    """Before long polling: Telegram refuses getUpdates while a webhook is registered (a bot back from webhook
    mode). Telegram out of reach is no reason to stop here: polling retries it anyway."""
    try:
        await bot.delete_webhook()
    except (TelegramNetworkError, TelegramServerError) as error:
        log.warning("webhook not unregistered, polling may be refused error=%s", error)
