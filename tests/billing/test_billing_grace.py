"""The grace period through the real bot: an overdue invoice pauses the paid devices (the owner is told, with
the Pay button), paying resumes them at once; with billing off nothing is paused and /billing says so; a
paused device gets no cached chart; billing's /metrics follow a whole flow.

The grace job pauses every overdue invoice in the package's database. This file runs before
test_billing_invoicing on a worker (files run in name order), whose users own devices from 2025 on and have no
chat, so the grace runs here pause and tell only these tests' users; the cache and metrics tests bill 2024
months, in which no other test owns a device, so their figures move by their own flow alone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.services.notices import subscribers
from sandbox.botapi import BotApiDouble, BotMessage, TelegramUser
from sandbox.programs import BotProcess
from sandbox.yookassa import YooKassaDouble, post_notification
from tests.billing.helpers import BillingBot
from tests.billing.test_billing_bot import billing_screen, owner_of, pay_and_confirm
from tests.kit.sql import execute, fetch

Sessions = async_sessionmaker[AsyncSession]
PAUSED = "This device is paused until your invoice is paid"


async def live_reply(user: TelegramUser, engine: AsyncEngine, device: int) -> str:
    await execute(
        engine, "UPDATE users SET current_device_id = :d WHERE telegram_id = :tg", d=device, tg=user.id
    )
    user.send("/live")
    reply = (await user.next_message()).text or ""
    if PAUSED not in reply:
        user.send("/stop")
        await next_with(user, "Live readings stopped")
    return reply


async def next_with(user: TelegramUser, wanted: str) -> BotMessage:
    """The next message whose text or buttons contain `wanted`, skipping others (live view edits)."""
    while True:
        message = await user.next_message()
        if wanted in (message.text or "") or wanted in message.button_texts:
            return message


async def who_hears(sessionmaker: Sessions, devices: list[int]) -> set[int]:
    async with sessionmaker() as session:
        found = await subscribers(session, devices, datetime.now(UTC))
    return set(found)


async def test_an_overdue_invoice_pauses_the_paid_devices_until_it_is_paid(
    tg: BotApiDouble, yk: YooKassaDouble, bot: BillingBot, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    frank = tg.user("Frank")
    free, paid = await owner_of(frank, 2, "2026-01", sessionmaker, engine)
    # A grace period of no days: the invoice is overdue as soon as it is issued.
    await bot.job("invoices", "--month", "2026-01", BILLING_GRACE_DAYS="0")
    assert await who_hears(sessionmaker, [free, paid]) == {free, paid}

    await bot.job("grace")
    notice = await frank.next_message()
    assert "The invoice for January 2026 (199.00 ₽) is unpaid" in (notice.text or "")
    assert "one device are paused" in (notice.text or "")
    assert "💳 Pay 199.00 ₽" in notice.button_texts
    assert "⏸ One device is paused until the invoice is paid" in ((await billing_screen(frank)).text or "")
    assert PAUSED in await live_reply(frank, engine, paid)
    assert PAUSED not in await live_reply(frank, engine, free)
    assert await who_hears(sessionmaker, [free, paid]) == {free}
    # Running it again pauses nothing new and tells nobody twice.
    await bot.job("grace")
    assert await fetch(engine, "SELECT count(*) FROM billing_pauses WHERE device_id = :d", d=paid) == [(1,)]

    frank.press("💳 Pay 199.00 ₽")
    link = await next_with(frank, "Open the payment page")
    payment_id = str(link.button("Open the payment page")["url"]).rsplit("orderId=", 1)[1]
    yk.confirm(payment_id)
    assert await yk.notify(bot.notifications_url, "payment.succeeded", payment_id) == 200
    await next_with(frank, "Payment received: 199.00 ₽ for January 2026")
    assert "paused" not in ((await billing_screen(frank)).text or "")
    assert PAUSED not in await live_reply(frank, engine, paid)
    assert await who_hears(sessionmaker, [free, paid]) == {free, paid}


async def test_with_billing_off_nothing_is_paused_and_billing_says_so(  # noqa: PLR0917 - fixtures, by name
    tg: BotApiDouble,
    bot: BillingBot,
    sessionmaker: Sessions,
    engine: AsyncEngine,
    database_url: str,
    tmp_path: Path,
) -> None:
    george = tg.user("George")
    _, paid = await owner_of(george, 2, "2025-12", sessionmaker, engine)
    await bot.job("invoices", "--month", "2025-12", BILLING_GRACE_DAYS="0")
    await bot.job("grace")
    assert await fetch(engine, "SELECT count(*) FROM billing_pauses WHERE device_id = :d", d=paid) == [(1,)]

    off = {"YOOKASSA_SHOP_ID": "", "YOOKASSA_SECRET_KEY": ""}
    assert await bot.job("invoices", "--month", "2025-11", **off) == (
        "billing is off (YOOKASSA_SHOP_ID is unset): nothing issued, charged or paused"
    )
    other_double = BotApiDouble()
    await other_double.start()
    other_bot = BotProcess(other_double, database_url, tmp_path, **off)
    try:
        await other_bot.launch()
        george_there = other_double.user("George")
        george_there.send("/billing")
        reply = await george_there.next_message()
        assert reply.text == "💳 Billing is off on this server: there is nothing to pay."
        assert await fetch(engine, "SELECT count(*) FROM billing_pauses WHERE device_id = :d", d=paid) == [
            (0,)
        ]
    finally:
        await other_bot.stop()
        await other_double.close()


async def test_a_paused_device_gets_no_chart_from_the_last_minutes_pictures(
    tg: BotApiDouble, bot: BillingBot, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    hanna = tg.user("Hanna")
    _, paid = await owner_of(hanna, 2, "2024-08", sessionmaker, engine)
    await bot.job("invoices", "--month", "2024-08", BILLING_GRACE_DAYS="0")
    await execute(
        engine, "UPDATE users SET current_device_id = :d WHERE telegram_id = :tg", d=paid, tg=hanna.id
    )
    hanna.send("/history")
    assert (await hanna.next_message(timeout=30)).method == "sendPhoto"

    # Paused now; the same chart again, while the picture drawn a moment ago is still kept for reuse.
    await bot.job("grace")
    await next_with(hanna, "is unpaid")
    hanna.send("/history")
    assert PAUSED in ((await hanna.next_message(timeout=30)).text or "")
    hanna.press_raw(f"hist:{paid}:24h:all")
    answer = await hanna.next_answer(timeout=30)
    assert PAUSED in (answer.text or "")
    assert len(tg.calls_to("sendPhoto", hanna.id)) == 1


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
    await owner_of(ivan, 3, "2024-05..06", sessionmaker, engine)
    await bot.job("invoices", "--month", "2024-05")
    # Paid from /billing (a checkout, applied on YooKassa's notification); a body that is no notification.
    await pay_and_confirm(ivan, yk, bot)
    assert await post_notification(bot.notifications_url, {"hello": "world"}) == 400
    # March: the saved card is declined, the invoice is overdue at once, and today's grace run pauses.
    yk.decline_next_charge("insufficient_funds")
    assert "failed 1" in await bot.job("invoices", "--month", "2024-06", BILLING_GRACE_DAYS="0")
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
