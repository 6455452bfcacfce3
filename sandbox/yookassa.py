"""A local double of YooKassa's REST API (v3): payments, saved payment methods, refunds, notifications.

The product's client talks to it through the real `yookassa` SDK (point `YOOKASSA_API_URL` at `double.url`).
It answers with the API's JSON shapes: Basic auth with the shop id and secret key (401 `invalid_credentials`
otherwise), an `Idempotence-Key` on every POST (the same key returns the same object; the same key with
another body is a 400), 404 `not_found`, and errors injected by tests (`fail_next`: 429 `too_many_requests`,
500 `internal_server_error`). Tests act as the person and the bank:

    double = YooKassaDouble()
    await double.start()
    double.confirm(payment_id)                 # the person paid on the confirmation page, card saved
    double.decline_next_charge("insufficient_funds")
    await double.notify(bot_url + "/yookassa", "payment.succeeded", payment_id)
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.ports import free_port

SHOP_ID = "506751"
SECRET_KEY = "test_secret-key-double"


@dataclass(frozen=True, slots=True)
class Received:
    method: str
    path: str
    idempotence_key: str | None
    status: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, code: str, description: str) -> web.Response:
    body = {"type": "error", "id": str(uuid.uuid4()), "code": code, "description": description}
    return web.json_response(body, status=status)


class YooKassaDouble:
    def __init__(self, shop_id: str = SHOP_ID, secret_key: str = SECRET_KEY) -> None:
        self.shop_id, self.secret_key = shop_id, secret_key
        self.port = free_port()
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.methods: dict[str, dict[str, Any]] = {}  # saved payment methods by id
        self.received: list[Received] = []
        self._answers: dict[str, tuple[str, web.Response]] = {}  # idempotence key -> (body, answer)
        self._failures: list[tuple[int, str]] = []
        self._declines: list[str] = []
        self._cards = itertools.count(4444)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v3"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/payments", self._create_payment)
        app.router.add_get("/v3/payments/{id}", self._get_payment)
        app.router.add_post("/v3/refunds", self._create_refund)
        app.router.add_get("/v3/refunds/{id}", self._get_refund)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- what tests do -------------------------------------------------------------------------------

    def fail_next(self, status: int, times: int = 1) -> None:
        """The next `times` requests answer `status` (429 or 500) before doing anything."""
        code = {429: "too_many_requests", 500: "internal_server_error"}.get(status, "internal_server_error")
        self._failures.extend([(status, code)] * times)

    def decline_next_charge(self, reason: str = "insufficient_funds") -> None:
        """The next charge of a saved card is canceled by the bank."""
        self._declines.append(reason)

    def confirm(self, payment_id: str) -> dict[str, Any]:
        """The person paid on the confirmation page: succeeded, and the card saved if it was asked to be."""
        payment = self.payments[payment_id]
        assert payment["status"] == "pending", payment["status"]
        method = payment["payment_method"]
        method["saved"] = bool(payment.pop("_save", False))
        method["card"] = self._card()
        method["title"] = f"Bank card *{method['card']['last4']}"
        if method["saved"]:
            self.methods[method["id"]] = method
        self._succeed(payment)
        return payment

    def cancel(self, payment_id: str, reason: str = "expired_on_confirmation") -> None:
        payment = self.payments[payment_id]
        payment.update(status="canceled", cancellation_details={"party": "yoo_money", "reason": reason})

    def notification(self, event: str, payment_id: str) -> dict[str, Any]:
        return {"type": "notification", "event": event, "object": copy.deepcopy(self.payments[payment_id])}

    async def notify(self, url: str, event: str, payment_id: str) -> int:
        """POST the notification YooKassa would send for the payment as it is now; the HTTP status."""
        return await post_notification(url, self.notification(event, payment_id))

    def created(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Payments in creation order; `kind` = "checkout" (has a confirmation) or "autopay"."""
        payments = list(self.payments.values())
        if kind == "checkout":
            return [p for p in payments if "confirmation" in p]
        if kind == "autopay":
            return [p for p in payments if "confirmation" not in p]
        return payments

    # ---- the API -------------------------------------------------------------------------------------

    async def _create_payment(self, request: web.Request) -> web.Response:
        return await self._post(request, self._new_payment)

    async def _create_refund(self, request: web.Request) -> web.Response:
        return await self._post(request, self._new_refund)

    async def _get_payment(self, request: web.Request) -> web.Response:
        return self._get(request, self.payments)

    async def _get_refund(self, request: web.Request) -> web.Response:
        return self._get(request, self.refunds)

    def _get(self, request: web.Request, store: dict[str, dict[str, Any]]) -> web.Response:
        refusal = self._refusal(request)
        if refusal is None:
            item = store.get(request.match_info["id"])
            refusal = _error(404, "not_found", "Incorrect id") if item is None else None
        answer = refusal or web.json_response(_public(store[request.match_info["id"]]))
        self.received.append(Received("GET", request.path, None, answer.status))
        return answer

    async def _post(self, request: web.Request, make: Any) -> web.Response:
        key = request.headers.get("Idempotence-Key")
        raw = await request.text()
        answer = self._refusal(request)
        if answer is None:
            answer = self._replay(key, raw) if key in self._answers else None
        if answer is None:
            answer = self._first_answer(key, raw, make)
        self.received.append(Received("POST", request.path, key, answer.status))
        return answer

    def _first_answer(self, key: str | None, raw: str, make: Any) -> web.Response:
        if not key:
            return _error(400, "invalid_request", "Idempotence key is required")
        try:
            body = json.loads(raw)
        except ValueError:
            return _error(400, "invalid_request", "Body is not JSON")
        answer: web.Response = make(body)
        self._answers[key] = (raw, answer)
        return answer

    def _replay(self, key: str | None, raw: str) -> web.Response:
        """The same key and body: the object created the first time, as it is now; never a second one."""
        body, first = self._answers[str(key)]
        if body != raw:
            return _error(400, "invalid_request", "Idempotence key duplicated with another request body")
        if first.status != 200 or first.text is None:
            return web.Response(text=first.text, status=first.status, content_type="application/json")
        created = json.loads(first.text)
        current = self.payments.get(created["id"]) or self.refunds.get(created["id"]) or created
        return web.json_response(_public(current))

    def _refusal(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != _basic(self.shop_id, self.secret_key):
            return _error(401, "invalid_credentials", "Authentication by given credentials failed")
        if self._failures:
            status, code = self._failures.pop(0)
            return _error(status, code, "Try again later")
        return None

    def _new_payment(self, body: dict[str, Any]) -> web.Response:
        payment_id = str(uuid.uuid4())
        payment: dict[str, Any] = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": body["amount"],
            "created_at": _now(),
            "description": body.get("description", ""),
            "metadata": body.get("metadata", {}),
            "recipient": {"account_id": self.shop_id, "gateway_id": "100700"},
            "refundable": False,
            "test": True,
        }
        saved_id = body.get("payment_method_id")
        if saved_id is not None:
            if saved_id not in self.methods:
                return _error(400, "invalid_request", "Payment method is not found or not saved")
            payment["payment_method"] = copy.deepcopy(self.methods[saved_id])
            self._charge(payment)
        else:
            payment["payment_method"] = {"type": "bank_card", "id": str(uuid.uuid4()), "saved": False}
            payment["confirmation"] = {
                "type": "redirect",
                "return_url": body.get("confirmation", {}).get("return_url", ""),
                "confirmation_url": f"https://yoomoney.ru/checkout/payments/v2/contract?orderId={payment_id}",
            }
            payment["_save"] = bool(body.get("save_payment_method"))
        self.payments[payment_id] = payment
        return web.json_response(_public(payment))

    def _charge(self, payment: dict[str, Any]) -> None:
        if self._declines:
            reason = self._declines.pop(0)
            payment.update(status="canceled", cancellation_details={"party": "issuer", "reason": reason})
        else:
            self._succeed(payment)

    def _succeed(self, payment: dict[str, Any]) -> None:
        payment.update(
            status="succeeded",
            paid=True,
            captured_at=_now(),
            income_amount=payment["amount"],
            refundable=True,
            refunded_amount={"value": "0.00", "currency": "RUB"},
        )

    def _new_refund(self, body: dict[str, Any]) -> web.Response:
        payment = self.payments.get(body.get("payment_id", ""))
        if payment is None or payment["status"] != "succeeded":
            return _error(400, "invalid_request", "Payment can't be refunded")
        refunded = _kopecks(payment["refunded_amount"]["value"]) + _kopecks(body["amount"]["value"])
        if refunded > _kopecks(payment["amount"]["value"]):
            return _error(400, "invalid_request", "Refund amount exceeds the payment's remainder")
        payment["refunded_amount"] = {"value": f"{refunded // 100}.{refunded % 100:02d}", "currency": "RUB"}
        refund = {
            "id": str(uuid.uuid4()),
            "payment_id": payment["id"],
            "status": "succeeded",
            "created_at": _now(),
            "amount": body["amount"],
            "description": body.get("description", ""),
        }
        self.refunds[refund["id"]] = refund
        return web.json_response(refund)

    def _card(self) -> dict[str, str]:
        last4 = f"{next(self._cards) % 10000:04d}"
        return {
            "first6": "555555",
            "last4": last4,
            "expiry_month": "07",
            "expiry_year": "2030",
            "card_type": "MasterCard",
            "issuer_country": "RU",
        }


def _public(payment: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in payment.items() if not key.startswith("_")}


def _kopecks(value: str) -> int:
    whole, _, fraction = value.partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


async def post_notification(url: str, body: dict[str, Any]) -> int:
    """POST a notification body (real or forged) as YooKassa does; the HTTP status of the answer."""
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status
