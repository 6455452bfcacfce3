"""The YooKassa client through the real SDK against the local double: shapes, idempotence, errors, retries."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from core.billing import yookassa
from core.settings import BillingSettings
from sandbox.yookassa import SECRET_KEY, SHOP_ID, YooKassaDouble


@pytest.fixture
async def double() -> AsyncIterator[YooKassaDouble]:
    double = YooKassaDouble()
    await double.start()
    yookassa.configure(_settings(double, SECRET_KEY))
    yield double
    await double.close()


def _settings(double: YooKassaDouble, secret: str) -> BillingSettings:
    return BillingSettings(
        YOOKASSA_SHOP_ID=SHOP_ID, YOOKASSA_SECRET_KEY=SecretStr(secret), YOOKASSA_API_URL=double.url
    )


async def checkout(key: str = "checkout-1-1") -> yookassa.RemotePayment:
    return await yookassa.create_checkout(
        39800, "SmartAir 2026-11", {"invoice_id": "1"}, "http://127.0.0.1/return", key
    )


async def test_checkout_gives_a_confirmation_url_and_saves_the_card_once_paid(double: YooKassaDouble) -> None:
    started = await checkout()
    assert started.status == "pending"
    assert started.amount == 39800
    assert started.confirmation_url is not None
    assert started.confirmation_url.startswith("https://")
    double.confirm(started.id)
    paid = await yookassa.get_payment(started.id)
    assert paid.succeeded
    assert paid.method_saved
    assert paid.method_title == "MasterCard *4444"
    assert paid.metadata["invoice_id"] == "1"


async def test_the_same_idempotence_key_never_makes_a_second_payment(double: YooKassaDouble) -> None:
    first = await checkout("checkout-7-1")
    again = await checkout("checkout-7-1")
    assert again.id == first.id
    assert len(double.payments) == 1


async def test_429_and_500_are_retried_with_the_same_key(double: YooKassaDouble) -> None:
    double.fail_next(429)
    double.fail_next(500)
    payment = await checkout("checkout-8-1")
    posts = [r for r in double.received if r.method == "POST"]
    assert [r.status for r in posts] == [429, 500, 200]
    assert {r.idempotence_key for r in posts} == {"checkout-8-1"}
    assert list(double.payments) == [payment.id]


async def test_persistent_failure_and_wrong_credentials_are_reported_not_raised_raw(
    double: YooKassaDouble,
) -> None:
    double.fail_next(500, times=yookassa.ATTEMPTS)
    with pytest.raises(yookassa.PaymentsUnavailable, match="InternalServerError"):
        await checkout("checkout-9-1")
    yookassa.configure(_settings(double, "wrong-secret"))
    with pytest.raises(yookassa.PaymentsUnavailable, match="invalid_credentials"):
        await checkout("checkout-9-2")
    assert [r.status for r in double.received[-1:]] == [401]


async def test_an_unknown_payment_id_is_unknown(double: YooKassaDouble) -> None:
    with pytest.raises(yookassa.UnknownPayment):
        await yookassa.get_payment("2a6b3f4e-000f-5000-9000-1b1b1b1b1b1b")


async def test_a_saved_card_is_charged_without_the_person_and_refunds_partly(double: YooKassaDouble) -> None:
    first = await checkout()
    double.confirm(first.id)
    card = (await yookassa.get_payment(first.id)).method_id
    assert card is not None
    charged = await yookassa.charge_saved(19900, card, "SmartAir 2026-12", {"invoice_id": "2"}, "autopay-2")
    assert charged.succeeded
    double.decline_next_charge()
    declined = await yookassa.charge_saved(19900, card, "SmartAir 2027-01", {"invoice_id": "3"}, "autopay-3")
    assert declined.status == "canceled"
    assert declined.cancellation_reason == "insufficient_funds"
    refund = await yookassa.refund(charged.id, 5000, "goodwill", "refund-1")
    assert (refund.status, refund.amount) == ("succeeded", 5000)
    assert double.payments[charged.id]["refunded_amount"]["value"] == "50.00"


async def test_connection_refused_is_unavailable_not_a_crash(double: YooKassaDouble) -> None:
    await double.close()
    with pytest.raises(yookassa.PaymentsUnavailable):
        await checkout("checkout-10-1")
