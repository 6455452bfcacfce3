"""Billing as a user reads it: money, months and dates in their language and zone; billing notices."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date

from bot.keyboards.billing import pay_keyboard
from bot.texts import Translator
from bot.views.moments import zone
from bot.views.notices import Rendered, UnreadableNotice
from core.billing.account import Account, InvoiceView
from core.billing.months import Month


def money(t: Translator, kopecks: int) -> str:
    """12345 → "123.45 ₽" (English) or "123,45 ₽" (Russian)."""
    sign = "-" if kopecks < 0 else ""
    whole, rest = divmod(abs(kopecks), 100)
    return t("billing-money", amount=f"{sign}{whole}{t('billing-decimal-separator')}{rest:02d}")


def month_name(t: Translator, month: date | Month) -> str:
    first = month.first_day if isinstance(month, Month) else month
    return format_date(first, "LLLL yyyy", locale=t.language).capitalize()


def _state(t: Translator, invoice: InvoiceView, timezone: str) -> str:
    due = invoice.due_at.astimezone(zone(timezone)).strftime("%d.%m.%Y")
    if invoice.status == "open":
        return t("billing-state-overdue" if invoice.overdue else "billing-state-open", due=due)
    return t(f"billing-state-{invoice.status}")


def account_text(t: Translator, view: Account, timezone: str) -> str:
    lines = [
        t("billing-title"),
        t("billing-plan", price=money(t, view.plan.price), free=view.plan.free_devices),
        t("billing-devices", count=view.devices),
        "",
    ]
    current = view.current
    if current is None:
        lines.append(t("billing-no-invoices"))
    else:
        lines.append(t("billing-current", **_invoice_args(t, current, timezone)))
        if len(view.invoices) > 1:
            lines.append(t("billing-past"))
            lines += [
                t("billing-past-line", **_invoice_args(t, past, timezone)) for past in view.invoices[1:]
            ]
    lines.append("")
    if view.card is None:
        lines.append(t("billing-no-card"))
    else:
        lines.append(t("billing-card", card=view.card, autopay="on" if view.autopay else "off"))
    if view.paused:
        lines.append(t("billing-paused", count=view.paused))
    return "\n".join(lines)


def _invoice_args(t: Translator, invoice: InvoiceView, timezone: str) -> dict[str, Any]:
    return {
        "number": str(invoice.id),
        "month": month_name(t, invoice.month),
        "amount": money(t, invoice.amount),
        "devices": invoice.devices,
        "state": _state(t, invoice, timezone),
    }


def billing_notice(t: Translator, payload: dict[str, Any]) -> Rendered:
    """An outbox row of kind `billing` (core.billing.notices) as a message; Pay where paying is the remedy."""
    event = payload.get("event")
    amount = payload.get("amount")
    if not isinstance(amount, int) or event not in {"paid", "charge_failed", "paused", "refunded"}:
        raise UnreadableNotice(f"billing notice {payload!r}")
    if event == "refunded":
        return Rendered(t("billing-notice-refunded", amount=money(t, amount)))
    try:
        month = month_name(t, Month.parse(str(payload.get("month"))))
        invoice_id = int(payload["invoice_id"])
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableNotice(f"billing notice {payload!r}") from error
    args: dict[str, Any] = {"amount": money(t, amount), "month": month}
    if event == "paid":
        return Rendered(t("billing-notice-paid", **args))
    if event == "paused":
        text = t("billing-notice-paused", devices=int(payload.get("devices", 0)), **args)
    else:
        reason = str(payload.get("reason", "unavailable"))
        text = t("billing-notice-charge-failed", reason=reason, **args)
    return Rendered(text, pay_keyboard(t, invoice_id, money(t, amount)))
