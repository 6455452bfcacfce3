"""The grace period through the real bot: an overdue invoice pauses the paid devices (the owner is told, with
the Pay button), paying resumes them at once; with billing off nothing is paused and /billing says so."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.services.notices import subscribers
from sandbox.botapi import BotApiDouble, BotMessage, TelegramUser
from sandbox.programs import BotProcess
from sandbox.yookassa import YooKassaDouble
from tests.billing.helpers import BillingBot
from tests.billing.test_billing_bot import billing_screen, owner_of
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
    _, paid = await owner_of(hanna, 2, "2025-06", sessionmaker, engine)
    await bot.job("invoices", "--month", "2025-06", BILLING_GRACE_DAYS="0")
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
