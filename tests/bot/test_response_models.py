"""aiogram's response models are built once per process (bot.middlewares.response_models), not per call."""

from __future__ import annotations

import gc
import json
import weakref
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import GetChatMember, GetMe, Response, TelegramMethod

from bot.middlewares.response_models import ResponseModels

ME = {"ok": True, "result": {"id": 42, "is_bot": True, "first_name": "SmartAir"}}
MEMBER = {"ok": True, "result": {"status": "left", "user": {"id": 7, "is_bot": False, "first_name": "A"}}}


def _answer_model(session: AiohttpSession, method: TelegramMethod[Any], answer: dict[str, Any]) -> type:
    """The class aiogram reads `answer` with, as it does for a real Bot API reply."""
    return type(session.check_response(Bot("42:TEST", session=session), method, 200, json.dumps(answer)))


async def _through(middleware: ResponseModels, method: TelegramMethod[Any]) -> None:
    async def make_request(bot: Bot, method: TelegramMethod[Any]) -> Response[Any]:
        return Response[Any](ok=True)

    await middleware(make_request, Bot("42:TEST"), method)


async def test_a_kept_answer_model_survives_garbage_collection() -> None:
    middleware, session, method = ResponseModels(), AiohttpSession(), GetMe()
    await _through(middleware, method)
    first = weakref.ref(_answer_model(session, method, ME))
    gc.collect()
    assert first() is not None
    assert _answer_model(session, method, ME) is first()


def test_without_it_pydantic_builds_the_model_again_after_a_collection() -> None:
    # Why the middleware exists: should pydantic start keeping these classes itself, this fails and the
    # middleware can go.
    session, method = AiohttpSession(), GetChatMember(chat_id=7, user_id=7)
    first = weakref.ref(_answer_model(session, method, MEMBER))
    gc.collect()
    assert first() is None
