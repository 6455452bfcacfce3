"""Payments: the Pay button's checkout, automatic charges, and applying what YooKassa's API says, once.

Nothing a notification says is believed: `apply()` takes a payment as re-read from the API. Applying is an
INSERT into `payments` guarded by its UNIQUE `yookassa_id`; a second report of the same payment, however it
arrives (a replayed notification, the job and the notification racing), inserts nothing and changes nothing.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.billing import notices, refunds, yookassa
from core.billing.months import Month
from core.billing.yookassa import RemotePayment
from core.models import BillingPause, Invoice, Payment, PaymentAttempt, PaymentMethod

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"
    NOT_PAID = "not_paid"  # pending, or canceled: nothing to apply
    UNKNOWN = "unknown"  # not a payment we asked for
    MISMATCH = "mismatch"  # the API's amount or invoice differ from ours
    REFUND_DUE = "refund_due"  # paid an invoice that was cancelled or already paid


class NotPayable(Exception):
    """The invoice is not the caller's, or not open."""


def description(month: Month) -> str:
    return f"SmartAir {month}"


async def start_checkout(session: AsyncSession, user_id: int, invoice_id: int, return_url: str) -> str:
    """The confirmation URL for paying the user's open invoice; a checkout still pending is offered again.

    Commits the attempt it records.
    """
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None or invoice.user_id != user_id:
        raise NotPayable(str(invoice_id))
    pending = await _settle_pending(session, invoice)
    if invoice.status != "open":
        raise NotPayable(str(invoice_id))
    if pending is not None and pending.kind == "checkout" and pending.confirmation_url:
        return pending.confirmation_url
    tried = await session.scalar(select(func.count()).where(PaymentAttempt.invoice_id == invoice_id))
    key = f"checkout-{invoice_id}-{int(tried or 0) + 1}"
    remote = await yookassa.create_checkout(
        invoice.amount, description(Month.of(invoice.month)), _metadata(invoice), return_url, key
    )
    await _record_attempt(session, invoice_id, remote, key, "checkout")
    await session.commit()
    if remote.confirmation_url is None:
        raise yookassa.PaymentsUnavailable("checkout without a confirmation URL")
    return remote.confirmation_url


async def charge_saved_card(
    session: AsyncSession, invoice: Invoice, method: PaymentMethod, now: datetime
) -> Outcome | None:
    """Charge an open invoice to the saved card once per UTC day; None when today's charge was made already.

    Commits. A charge YooKassa could not take (after the client's retries) tells the owner and is tried again
    by the next run.
    """
    key = f"autopay-{invoice.id}-{now:%Y%m%d}"
    if await session.scalar(select(PaymentAttempt.id).where(PaymentAttempt.idempotence_key == key)):
        return None
    month = Month.of(invoice.month)
    try:
        # A payment still in flight (a charge YooKassa has not decided, a checkout page left open) may yet
        # pay the invoice: never charge beside it.
        if await _settle_pending(session, invoice) is not None or invoice.status != "open":
            return None
        remote = await yookassa.charge_saved(
            invoice.amount, method.yookassa_id, description(month), _metadata(invoice), key
        )
    except yookassa.PaymentsUnavailable as error:
        log.warning("autopay charge failed invoice=%s user=%s error=%s", invoice.id, invoice.user_id, error)
        await notices.queue_for_invoice(
            session, invoice, "charge_failed", f"billing:unavailable:{key}", reason="unavailable"
        )
        await session.commit()
        return Outcome.NOT_PAID
    await _record_attempt(session, invoice.id, remote, key, "autopay")
    return await settle(session, remote)


async def settle(session: AsyncSession, remote: RemotePayment) -> Outcome:
    """Apply `remote` and commit; a payment for an invoice no longer payable is then refunded in full."""
    outcome = await apply(session, remote)
    await session.commit()
    if outcome is Outcome.REFUND_DUE:
        payment_id = await session.scalar(select(Payment.id).where(Payment.yookassa_id == remote.id))
        assert payment_id is not None  # apply() just inserted it
        try:
            await refunds.refund(session, payment_id, None, "invoice no longer payable")
        except yookassa.PaymentsUnavailable:
            # Applied but not refunded: it shows in /revenue, and an operator refunds it with /refund.
            log.error("refund of a late payment failed payment=%s", remote.id)
    return outcome


async def _settle_pending(session: AsyncSession, invoice: Invoice) -> PaymentAttempt | None:
    """Ask the API about the invoice's pending payments and settle them; the one still pending, if any."""
    attempts = await session.scalars(
        select(PaymentAttempt).where(
            PaymentAttempt.invoice_id == invoice.id,
            PaymentAttempt.status.in_(("pending", "waiting_for_capture")),
        )
    )
    still = None
    for attempt in list(attempts):
        try:
            remote = await yookassa.get_payment(attempt.yookassa_id)
        except yookassa.UnknownPayment:
            log.error("a payment we made is unknown to the API payment=%s", attempt.yookassa_id)
            attempt.status = "unknown"
            continue
        if remote.status in ("pending", "waiting_for_capture"):
            still = attempt
            continue
        await settle(session, remote)
    await session.refresh(invoice)
    return still


async def cancel_invoice(session: AsyncSession, invoice_id: int) -> bool:
    """Cancel an open invoice (an operator waives it) and lift its pauses; False if it was not open. Commits.

    A payment for it that succeeds later is refunded (see `apply`).
    """
    invoice = await session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is None or invoice.status != "open":
        return False
    invoice.status = "cancelled"
    await session.execute(delete(BillingPause).where(BillingPause.invoice_id == invoice.id))
    await session.commit()
    return True


async def apply(session: AsyncSession, remote: RemotePayment) -> Outcome:
    """Apply a payment as the API reported it: exactly once, and only if the API says it succeeded.

    Runs in the caller's transaction and never commits; REFUND_DUE asks the caller to refund after commit.
    """
    attempt = await session.scalar(
        select(PaymentAttempt).where(PaymentAttempt.yookassa_id == remote.id).with_for_update()
    )
    if attempt is None:
        return Outcome.UNKNOWN
    attempt.status = remote.status
    invoice = await session.get(Invoice, attempt.invoice_id, with_for_update=True)
    assert invoice is not None  # the attempt's foreign key
    if not remote.succeeded:
        if remote.status == "canceled" and attempt.kind == "autopay":
            await notices.queue_for_invoice(
                session,
                invoice,
                "charge_failed",
                f"billing:declined:{remote.id}",
                reason=remote.cancellation_reason or "canceled",
            )
        return Outcome.NOT_PAID
    if remote.amount != invoice.amount or remote.metadata.get("invoice_id") != str(invoice.id):
        log.warning("payment does not match its invoice payment=%s invoice=%s", remote.id, invoice.id)
        return Outcome.MISMATCH
    inserted = await session.scalar(
        insert(Payment)
        .values(yookassa_id=remote.id, invoice_id=invoice.id, user_id=invoice.user_id, amount=remote.amount)
        .on_conflict_do_nothing(index_elements=[Payment.yookassa_id])
        .returning(Payment.id)
    )
    if inserted is None:
        return Outcome.ALREADY_APPLIED
    if remote.method_saved and remote.method_id:
        await _save_card(session, invoice.user_id, remote.method_id, remote.method_title or "Card")
    if invoice.status != "open":
        return Outcome.REFUND_DUE
    invoice.status, invoice.paid_at = "paid", func.now()
    await session.execute(delete(BillingPause).where(BillingPause.invoice_id == invoice.id))
    await notices.queue_for_invoice(session, invoice, "paid", f"billing:paid:{remote.id}")
    return Outcome.APPLIED


async def _save_card(session: AsyncSession, user_id: int, method_id: str, title: str) -> None:
    """The card just used becomes the user's saved card, with autopay on (they just asked to save it)."""
    statement = insert(PaymentMethod).values(
        user_id=user_id, yookassa_id=method_id, title=title[:64], autopay=True
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[PaymentMethod.user_id],
            set_={"yookassa_id": method_id, "title": title[:64], "autopay": True, "saved_at": func.now()},
            where=PaymentMethod.yookassa_id != method_id,
        )
    )


async def _record_attempt(
    session: AsyncSession, invoice_id: int, remote: RemotePayment, key: str, kind: str
) -> None:
    await session.execute(
        insert(PaymentAttempt)
        .values(
            yookassa_id=remote.id,
            invoice_id=invoice_id,
            idempotence_key=key,
            kind=kind,
            status=remote.status,
            confirmation_url=remote.confirmation_url,
        )
        .on_conflict_do_nothing()
    )


def _metadata(invoice: Invoice) -> dict[str, str]:
    return {"invoice_id": str(invoice.id), "user_id": str(invoice.user_id)}
