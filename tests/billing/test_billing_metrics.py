"""Billing on the bot's /metrics, scraped before and after a billing flow through the real bot, its jobs and
the YooKassa double: each figure moves by what the flow did."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sandbox.botapi import BotApiDouble
from sandbox.yookassa import YooKassaDouble, post_notification
from tests.billing.helpers import BillingBot
from tests.billing.test_billing_bot import owner_of, pay_and_confirm

Sessions = async_sessionmaker[AsyncSession]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(bot: BillingBot) -> Samples:
    url = f"http://127.0.0.1:{bot.env['BOT_HTTP_PORT']}/metrics"
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        assert response.status == 200
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    assert key in after, key
    return after[key] - before.get(key, 0.0)


async def test_metrics_follow_invoices_payments_declines_notifications_and_pauses(
    tg: BotApiDouble, yk: YooKassaDouble, bot: BillingBot, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    before = await scrape(bot)
    ivan = tg.user("Ivan")
    await owner_of(ivan, 3, "2025-02..03", sessionmaker, engine)
    await bot.job("invoices", "--month", "2025-02")
    # Paid from /billing (a checkout, applied on YooKassa's notification); a body that is no notification.
    await pay_and_confirm(ivan, yk, bot)
    assert await post_notification(bot.notifications_url, {"hello": "world"}) == 400
    # March: the saved card is declined, the invoice is overdue at once, and today's grace run pauses.
    yk.decline_next_charge("insufficient_funds")
    assert "failed 1" in await bot.job("invoices", "--month", "2025-03", BILLING_GRACE_DAYS="0")
    await bot.job("grace")
    after = await scrape(bot)

    assert moved(before, after, "smartair_billing_invoices", status="paid") == 1
    assert moved(before, after, "smartair_billing_invoices", status="open") == 1
    assert moved(before, after, "smartair_billing_invoices", status="cancelled") == 0
    assert moved(before, after, "smartair_billing_payment_attempts", kind="checkout", status="succeeded") == 1
    assert moved(before, after, "smartair_billing_payment_attempts", kind="autopay", status="canceled") == 1
    assert moved(before, after, "smartair_billing_payments_applied_total") == 1
    assert moved(before, after, "smartair_billing_month_roubles", flow="paid") == 398.0
    assert moved(before, after, "smartair_billing_month_roubles", flow="refunded") == 0
    assert moved(before, after, "smartair_billing_notifications_total", verdict="applied") == 1
    assert moved(before, after, "smartair_billing_notifications_total", verdict="malformed") == 1
    assert moved(before, after, "smartair_billing_notifications_total", verdict="retry") == 0
    # Three devices, the first free: one account, two devices paused.
    assert moved(before, after, "smartair_billing_paused", what="accounts") == 1
    assert moved(before, after, "smartair_billing_paused", what="devices") == 2
    # The bot's other metrics are in the same registry, under the same name style.
    assert ("smartair_outbox_depth", frozenset()) in after
