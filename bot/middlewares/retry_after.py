"""Honours Telegram's flood control (429 retry_after) for every Bot API call, in one place."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

logger = logging.getLogger(__name__)


class RetryAfter(BaseRequestMiddleware):
    """Waits as long as Telegram asks and tries again, a bounded number of times.

    A wait longer than `max_wait` is not worth holding an update for: the error goes to the caller.
    """

    def __init__(self, attempts: int = 3, max_wait: float = 60.0) -> None:
        self._attempts = attempts
        self._max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(1, self._attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self._attempts or error.retry_after > self._max_wait:
                    raise
                logger.warning(
                    "telegram flood control method=%s retry_after=%s attempt=%s",
                    method.__api_method__,
                    error.retry_after,
                    attempt,
                )
                await asyncio.sleep(error.retry_after)
        raise AssertionError("unreachable: the last attempt returns or raises")
