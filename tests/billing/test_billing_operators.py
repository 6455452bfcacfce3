"""Operators through the real bot: a late payment for a cancelled invoice is refunded, revenue for a month and
per user, partial and full refunds through YooKassa; anyone else gets what an unknown command gets."""

from __future__ import annotations

import asyncio
import calendar
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.yookassa import YooKassaDouble
from tests.billing.helpers import BillingBot
from tests.billing.test_billing_bot import owner_of, pay_and_confirm, pay_from_billing
from tests.kit.sql import fetch

Sessions = async_sessionmaker[AsyncSession]


async def ask(operator: TelegramUser, command: str) -> str:
    operator.send(command)
    return (await operator.next_message()).text or ""


async def this_month() -> tuple[str, str]:
    """The UTC month the revenue report counts this test's payment and refunds in: ("2026-11",
    "November 2026"). Within two minutes of the month's end it waits for the next one, so that the payment and
    both refunds fall into one month."""
    now = datetime.now(UTC)
    turn = (now.replace(day=28) + timedelta(days=4)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if turn - now < timedelta(minutes=2):
        await asyncio.sleep((turn - now).total_seconds() + 0.1)
        now = datetime.now(UTC)
    return f"{now:%Y-%m}", f"{calendar.month_name[now.month]} {now.year}"


async def paid_invoice(
    user: TelegramUser,
    *,
    months: str,
    yk: YooKassaDouble,
    bot: BillingBot,
    sessionmaker: Sessions,
    engine: AsyncEngine,
) -> tuple[int, str]:
    """`user` owns two devices through `months`, is invoiced and pays: (our payment number, YooKassa's id)."""
    await owner_of(user, 2, months, sessionmaker, engine)
    await bot.job("invoices", "--month", months)
    payment_id = await pay_and_confirm(user, yk, bot)
    assert "Payment received" in ((await user.next_message()).text or "")
    rows = await fetch(engine, "SELECT id FROM payments WHERE yookassa_id = :id", id=payment_id)
    return int(rows[0][0]), payment_id


async def test_a_payment_for_a_cancelled_invoice_is_refunded_in_full(
    *,
    tg: BotApiDouble,
    yk: YooKassaDouble,
    bot: BillingBot,
    operator: TelegramUser,
    sessionmaker: Sessions,
    engine: AsyncEngine,
) -> None:
    helen = tg.user("Helen")
    await owner_of(helen, 2, "2025-10", sessionmaker, engine)
    await bot.job("invoices", "--month", "2025-10")
    payment_id = await pay_from_billing(helen, yk)
    invoice = int(yk.payments[payment_id]["metadata"]["invoice_id"])
    # While Helen is on the payment page, an operator waives the invoice.
    assert (
        await ask(operator, f"/cancel_invoice {invoice}")
        == f"Invoice #{invoice} cancelled; its pauses are lifted."
    )
    yk.confirm(payment_id)
    assert await yk.notify(bot.notifications_url, "payment.succeeded", payment_id) == 200
    assert "199.00 ₽ refunded to your card" in ((await helen.next_message()).text or "")
    assert yk.payments[payment_id]["refunded_amount"]["value"] == "199.00"
    rows = await fetch(
        engine,
        "SELECT i.status, r.amount FROM invoices i JOIN payments p ON p.invoice_id = i.id"
        " JOIN refunds r ON r.payment_id = p.id WHERE i.id = :invoice",
        invoice=invoice,
    )
    assert rows == [("cancelled", 19900)]
    assert (
        await ask(operator, f"/cancel_invoice {invoice}")
        == f"Invoice #{invoice} is not open: nothing changed."
    )


async def test_operators_see_revenue_per_user_and_refund_partly_then_fully(
    *,
    tg: BotApiDouble,
    yk: YooKassaDouble,
    bot: BillingBot,
    operator: TelegramUser,
    sessionmaker: Sessions,
    engine: AsyncEngine,
) -> None:
    month, month_name = await this_month()
    ivan = tg.user("Ivan", username="ivan_pays")
    number, payment_id = await paid_invoice(
        ivan, months="2025-09", yk=yk, bot=bot, sessionmaker=sessionmaker, engine=engine
    )

    report = await ask(operator, "/revenue")
    assert report.startswith(f"📈 Revenue for {month_name}: ")
    assert f"• ivan_pays (id {ivan.id}): 199.00 ₽, refunded 0.00 ₽ — payments #{number}" in report

    assert await ask(operator, f"/refund {number} 50,5") == (
        f"↩️ Refunded 50.50 ₽ of payment #{number}; 148.50 ₽ left to refund."
    )
    assert "50.50 ₽ refunded to your card" in ((await ivan.next_message()).text or "")
    assert (
        await ask(operator, f"/refund {number} 200")
        == "Cannot refund: amount must be between 0.01 and 148.50"
    )
    assert await ask(operator, f"/refund #{number}") == (
        f"↩️ Refunded 148.50 ₽ of payment #{number}; 0.00 ₽ left to refund."
    )
    assert yk.payments[payment_id]["refunded_amount"]["value"] == "199.00"
    report = await ask(operator, f"/revenue {month}")
    assert f"• ivan_pays (id {ivan.id}): 199.00 ₽, refunded 199.00 ₽ — payments #{number}" in report
    assert (
        await ask(operator, "/revenue 2026-13")
        == "Usage: /revenue 2026-11 (without a month: the current one)."
    )
    assert await ask(operator, "/revenue 2020-01") == "📈 No payments for January 2020."


async def test_users_cannot_see_revenue_or_refund(tg: BotApiDouble, bot: BillingBot) -> None:
    mallory = tg.user("Mallory")
    for command in ("/revenue", "/refund 1", "/cancel_invoice 1"):
        mallory.send(command)
        reply = (await mallory.next_message()).text or ""
        assert "Revenue" not in reply
        assert "Refund" not in reply
        assert "Usage" not in reply
