"""The one place that talks to YooKassa: the `yookassa` SDK, called from a thread, with idempotence keys.

The SDK is synchronous and keeps its configuration in class attributes, so `configure()` is called once per
process (the bot, or `python -m bot.jobs`) and every call goes through `asyncio.to_thread`. Transient failures
(429, 5xx, no connection) are retried a bounded number of times with the same idempotence key, which YooKassa
turns into the same payment or refund rather than a second one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from yookassa import Configuration
from yookassa import Payment as SdkPayment
from yookassa import Refund as SdkRefund
from yookassa.domain.exceptions import (
    ApiError,
    InternalServerError,
    NotFoundError,
    ResponseProcessingError,
    TooManyRequestsError,
)

from core.retry import Backoff, retry_call
from core.settings import BillingSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 4


class PaymentsUnavailable(Exception):
    """YooKassa did not answer usefully after the retries (or refused our credentials): try again later."""


class UnknownPayment(Exception):
    """YooKassa has no such payment (404): a forged or mistyped id."""


@dataclass(frozen=True, slots=True)
class RemotePayment:
    """A payment as YooKassa's API states it: the only account of a payment this program trusts."""

    id: str
    status: str  # pending | waiting_for_capture | succeeded | canceled
    paid: bool
    amount: int  # kopecks
    metadata: dict[str, str] = field(default_factory=dict)
    confirmation_url: str | None = None
    method_id: str | None = None
    method_saved: bool = False
    method_title: str | None = None
    cancellation_reason: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded" and self.paid


@dataclass(frozen=True, slots=True)
class RemoteRefund:
    id: str
    status: str
    amount: int


def configure(settings: BillingSettings) -> None:
    Configuration.configure(
        settings.yookassa_shop_id,
        settings.yookassa_secret_key.get_secret_value(),
        api_url=settings.yookassa_api_url.rstrip("/"),
    )


def roubles(kopecks: int) -> dict[str, str]:
    """An amount as YooKassa writes it: a decimal string in roubles."""
    return {"value": f"{kopecks // 100}.{kopecks % 100:02d}", "currency": "RUB"}


def kopecks(value: str) -> int:
    whole, _, fraction = str(value).partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])


async def create_checkout(
    amount: int, description: str, metadata: dict[str, str], return_url: str, key: str
) -> RemotePayment:
    """A payment the person confirms on YooKassa's page; the card is saved for the next months."""
    params = {
        "amount": roubles(amount),
        "capture": True,
        "confirmation": {"type": "redirect", "return_url": return_url},
        "save_payment_method": True,
        "description": description,
        "metadata": metadata,
    }
    return _payment(await _call(lambda: SdkPayment.create(params, key)))


async def charge_saved(
    amount: int, method_id: str, description: str, metadata: dict[str, str], key: str
) -> RemotePayment:
    """An automatic charge of a saved card; no person is asked."""
    params = {
        "amount": roubles(amount),
        "capture": True,
        "payment_method_id": method_id,
        "description": description,
        "metadata": metadata,
    }
    return _payment(await _call(lambda: SdkPayment.create(params, key)))


async def get_payment(payment_id: str) -> RemotePayment:
    """The payment as the API says it is now; UnknownPayment for an id YooKassa never issued."""
    return _payment(await _call(lambda: SdkPayment.find_one(payment_id)))


async def refund(payment_id: str, amount: int, description: str, key: str) -> RemoteRefund:
    params = {"payment_id": payment_id, "amount": roubles(amount), "description": description}
    response = await _call(lambda: SdkRefund.create(params, key))
    return RemoteRefund(str(response.id), str(response.status), kopecks(response.amount.value))


_TRANSIENT = (TooManyRequestsError, InternalServerError, ResponseProcessingError, requests.RequestException)


async def _call(request: Callable[[], T]) -> T:
    try:
        return await retry_call(
            lambda: asyncio.to_thread(_guarded, request),
            retry_on=_TRANSIENT,
            attempts=ATTEMPTS,
            backoff=Backoff(first=0.2, ceiling=5.0),
        )
    except NotFoundError as error:
        raise UnknownPayment(_describe(error)) from error
    except (*_TRANSIENT, ApiError) as error:
        log.warning("yookassa request failed error=%s", _describe(error))
        raise PaymentsUnavailable(_describe(error)) from error


def _guarded(request: Callable[[], T]) -> T:
    try:
        return request()
    except AttributeError as error:
        # The SDK answers a connection failure (no HTTP response) by reading `.status_code` of None.
        raise requests.ConnectionError("no response from YooKassa") from error


def _describe(error: Exception) -> str:
    content = getattr(error, "content", None)
    if isinstance(content, dict):
        return f"{type(error).__name__} code={content.get('code')} description={content.get('description')}"
    return f"{type(error).__name__} {error}"


def _payment(response: Any) -> RemotePayment:
    method = response.payment_method
    card = getattr(method, "card", None) if method is not None else None
    confirmation = response.confirmation
    cancellation = response.cancellation_details
    return RemotePayment(
        id=str(response.id),
        status=str(response.status),
        paid=bool(response.paid),
        amount=kopecks(response.amount.value),
        metadata={str(k): str(v) for k, v in (response.metadata or {}).items()},
        confirmation_url=getattr(confirmation, "confirmation_url", None) if confirmation else None,
        method_id=str(method.id) if method is not None else None,
        method_saved=bool(getattr(method, "saved", False)) if method is not None else False,
        method_title=_card_title(card),
        cancellation_reason=str(cancellation.reason) if cancellation is not None else None,
    )


def _card_title(card: Any) -> str | None:
    if card is None or not getattr(card, "last4", None):
        return None
    return f"{card.card_type or 'Card'} *{card.last4}"
