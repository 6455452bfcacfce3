"""YooKassa's notifications: never trusted, only a hint of which payment to re-read from the API.

Whatever the body says (forged, replayed, out of order, about a payment we never made), the state applied is
the API's, and applying is once-only (core.billing.payments.apply). A payment that succeeds for an invoice
that was cancelled or already paid is refunded in full.
"""

from __future__ import annotations

import enum
import logging
import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.billing import payments, yookassa

log = logging.getLogger(__name__)

EVENTS = {"payment.succeeded", "payment.canceled", "payment.waiting_for_capture"}
# YooKassa's payment ids are UUID-like; anything else never reaches the API or the database.
_PAYMENT_ID = re.compile(r"[0-9a-zA-Z-]{16,64}")


class Verdict(enum.Enum):
    APPLIED = "applied"
    IGNORED = "ignored"
    MALFORMED = "malformed"
    RETRY = "retry"  # the API could not be asked: YooKassa sends the notification again later

    @property
    def http_status(self) -> int:
        # An ignored notification is answered 200 too: YooKassa must not keep retrying what we chose to drop.
        return {"malformed": 400, "retry": 503}.get(self.value, 200)


def payment_id_of(body: Any) -> str | None:
    """The payment id a notification names, or None when it is not a payment notification at all."""
    if not isinstance(body, dict) or body.get("type") != "notification" or body.get("event") not in EVENTS:
        return None
    obj = body.get("object")
    payment_id = obj.get("id") if isinstance(obj, dict) else None
    if not isinstance(payment_id, str) or not _PAYMENT_ID.fullmatch(payment_id):
        return None
    return payment_id


async def handle(sessionmaker: async_sessionmaker[AsyncSession], body: Any) -> Verdict:
    payment_id = payment_id_of(body)
    if payment_id is None:
        log.warning("yookassa notification malformed, dropped")
        return Verdict.MALFORMED
    event = body["event"]
    try:
        remote = await yookassa.get_payment(payment_id)
    except yookassa.UnknownPayment:
        log.warning(
            "yookassa notification for a payment the API does not know payment=%s event=%s", payment_id, event
        )
        return Verdict.IGNORED
    except yookassa.PaymentsUnavailable:
        return Verdict.RETRY
    async with sessionmaker() as session:
        outcome = await payments.settle(session, remote)
    level = logging.INFO if outcome is payments.Outcome.APPLIED else logging.WARNING
    log.log(
        level,
        "yookassa notification payment=%s event=%s api_status=%s outcome=%s",
        payment_id,
        event,
        remote.status,
        outcome.value,
    )
    return Verdict.APPLIED if outcome is payments.Outcome.APPLIED else Verdict.IGNORED
