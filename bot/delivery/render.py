"""An outbox row as the message its user reads: their language, their time zone, the notice's buttons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import Bot
from aiogram.types import Message

from bot.texts import Catalogue, Translator
from bot.views.billing import billing_notice
from bot.views.broadcast import broadcast_message
from bot.views.digest import digest_text
from bot.views.error_reports import error_notice
from bot.views.notices import Rendered, UnreadableNotice, alert_notice, over_budget_notice
from bot.views.ota import halted_notice, widened_notice
from core.billing.notices import BILLING_KIND
from core.services.broadcast import BROADCAST_KIND, Content
from core.services.digest import DIGEST_KIND
from core.services.error_reports import ERROR_KIND
from core.services.notices import ALERT_KIND
from core.services.ota.delivery import HALTED_KIND, WIDENED_KIND
from core.services.outbox import Claimed
from core.services.over_budget import OVER_BUDGET_KIND

# Each outbox kind as its text: (translator, row, now) → the message.
_RENDERERS: dict[str, Callable[[Translator, Claimed, datetime], Rendered]] = {
    ALERT_KIND: lambda t, row, now: alert_notice(t, row.payload, row.timezone, now),
    DIGEST_KIND: lambda t, row, now: Rendered(digest_text(t, row.payload, row.timezone, now)),
    BILLING_KIND: lambda t, row, _now: billing_notice(t, row.payload),
    ERROR_KIND: lambda t, row, now: error_notice(t, row.payload, row.timezone, now),
    HALTED_KIND: lambda t, row, _now: halted_notice(t, row.payload),
    WIDENED_KIND: lambda t, row, _now: widened_notice(t, row.payload),
    OVER_BUDGET_KIND: lambda t, row, _now: over_budget_notice(t, row.payload),
    BROADCAST_KIND: lambda _t, row, _now: broadcast_message(Content.from_payload(row.payload)),
}


def render(catalogue: Catalogue, row: Claimed, now: datetime) -> Rendered:
    renderer = _RENDERERS.get(row.kind)
    if renderer is None:
        raise UnreadableNotice(f"unknown outbox kind {row.kind!r}")
    return renderer(catalogue[row.language], row, now)


async def post(bot: Bot, chat_id: int, rendered: Rendered, request_timeout: int | None = None) -> Message:
    """Send a rendered message: a photo with its caption, or text. A broadcast's preview goes this way too."""
    if rendered.photo is not None:
        return await bot.send_photo(
            chat_id,
            rendered.photo,
            caption=rendered.text or None,
            reply_markup=rendered.markup,
            request_timeout=request_timeout,
        )
    return await bot.send_message(
        chat_id, rendered.text, reply_markup=rendered.markup, request_timeout=request_timeout
    )
