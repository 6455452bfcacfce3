"""Turns refusals into friendly replies, marks users who blocked the bot, logs everything else.

Whatever happens here, the update is over and polling goes on: one failed update never stops the bot.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import ErrorEvent, Update
from aiogram.types import User as TelegramUser
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.texts import Catalogue, Translator
from core.billing.grace import DevicePaused
from core.services import users
from core.services.access import AccessDenied
from core.services.devices import DeviceError
from core.services.pairing import PairingError
from core.services.sharing import SharingError
from core.services.users import language_for
from core.transport import MqttOnly

logger = logging.getLogger(__name__)
router = Router(name=__name__)

# Each domain's refusals carry a `reason`; the catalogue words them as `<prefix>-<reason>`.
REFUSAL_PREFIXES: tuple[tuple[type[Exception], str], ...] = (
    (PairingError, "pairing-refused"),
    (SharingError, "share-refused"),
    (DeviceError, "device-refused"),
    (AccessDenied, "access-refused"),
    (DevicePaused, "billing-device"),
    (MqttOnly, "device-refused"),
)


@router.errors(ExceptionTypeFilter(*(kind for kind, _ in REFUSAL_PREFIXES)))
async def refusal(event: ErrorEvent, *, bot: Bot, catalogue: Catalogue, **data: Any) -> None:
    prefix = next(prefix for kind, prefix in REFUSAL_PREFIXES if isinstance(event.exception, kind))
    reason = getattr(event.exception, "reason", "")
    state: FSMContext | None = data.get("state")
    if isinstance(event.exception, AccessDenied) and state is not None:
        # A prompt (rename, location) whose device is no longer the user's would refuse every answer.
        await state.clear()
    logger.info("refused update_id=%s reason=%s-%s", event.update.update_id, prefix, reason)
    await _reply(bot, event.update, _translator(catalogue, data)(f"{prefix}-{reason}"))


@router.errors(ExceptionTypeFilter(TelegramForbiddenError))
async def blocked(
    event: ErrorEvent,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    event_from_user: TelegramUser | None = None,
) -> None:
    if event_from_user is None:
        logger.warning("forbidden without a user update_id=%s", event.update.update_id)
        return
    logger.info("user blocked the bot telegram_id=%s", event_from_user.id)
    async with sessionmaker() as session:
        await users.mark_inactive(session, event_from_user.id)


@router.errors()
async def unexpected(event: ErrorEvent, *, bot: Bot, catalogue: Catalogue, **data: Any) -> None:
    sender: TelegramUser | None = data.get("event_from_user")
    logger.error(
        "update failed update_id=%s telegram_id=%s",
        event.update.update_id,
        sender.id if sender else None,
        exc_info=event.exception,
    )
    try:
        await _reply(bot, event.update, _translator(catalogue, data)("error-unexpected"))
    except TelegramAPIError as error:
        logger.warning("could not report the failure update_id=%s error=%s", event.update.update_id, error)


async def _reply(bot: Bot, update: Update, text: str) -> None:
    """A pressed button gets an alert on the button; a message gets a message."""
    if update.callback_query is not None:
        await bot.answer_callback_query(update.callback_query.id, text=text, show_alert=True)
    elif update.message is not None:
        await bot.send_message(update.message.chat.id, text)


def _translator(catalogue: Catalogue, data: dict[str, Any]) -> Translator:
    # The ORM user is expired once the failed update's session rolled back: use what was picked before.
    picked = data.get("t")
    if isinstance(picked, Translator):
        return picked
    sender: TelegramUser | None = data.get("event_from_user")
    return catalogue[language_for(sender.language_code if sender else None)]
