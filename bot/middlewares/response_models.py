"""Keeps aiogram's parametrised response models alive, so each is built once per process, not per call.

aiogram reads every Bot API answer as `Response[method.__returning__]`, a pydantic generic class made on
demand; pydantic caches such classes weakly, so once nothing references the answer the next garbage
collection frees its class, and the next call builds it again (its whole schema: 5–10 ms of CPU, more than
the rest of a /status update together, bench/status_findings.md). Holding one reference per return type
keeps pydantic's cache warm. Only public names are used (`Response[...]`, `__returning__`); the test in
tests/bot/test_response_models.py fails if pydantic or aiogram change this.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType


class ResponseModels(BaseRequestMiddleware):
    """A request middleware: the first call of each return type builds its model, later ones reuse it."""

    def __init__(self) -> None:
        self._kept: dict[Any, type[Response[Any]]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._kept:
            self._kept[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)
