"""/billing through the real bot, the Bot API double and the YooKassa double.

A month cycle, forged and duplicated notifications, a charge that fails then succeeds, a declined charge.
Each test bills months of its own: its devices' ownership spans exactly those months (in Moscow time, the
users' zone), so one test's job runs neither invoice nor charge another test's users.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.billing.months import Month
from sandbox.botapi import BotApiDouble, BotMessage, TelegramUser
from sandbox.yookassa import YooKassaDouble, post_notification
from tests.billing.helpers import BillingBot, own_during
from tests.kit.chat import pair
from tests.kit.sql import execute, fetch

Sessions = async_sessionmaker[AsyncSession]
MOSCOW = ZoneInfo("Europe/Moscow")


async def owner_of(
    user: TelegramUser, devices: int, months: str, sessionmaker: Sessions, engine: AsyncEngine
) -> list[int]:
    """`user` pairs `devices` devices through /add; billing sees them owned through `months` (2026-09..10)."""
    first, _, last = months.partition("..")
    start = Month.parse(first).start(MOSCOW)
    end = Month.parse(first[:5] + last if last else first).end(MOSCOW)
    ids = [await pair(user, sessionmaker, engine) for _ in range(devices)]
    for device in ids:
        await own_during(engine, device, start, end)
    return ids


async def billing_screen(user: TelegramUser) -> BotMessage:
    user.send("/billing")
    return await user.next_message()


async def pay_from_billing(user: TelegramUser, yk: YooKassaDouble) -> str:
    """/billing → Pay → the payment page link; the payment id the page is for."""
    screen = await billing_screen(user)
    pay_text = next(text for text in screen.button_texts if text.startswith("💳"))
    user.press(pay_text)
    link = await user.next_message()
    await user.next_answer()
    url = str(link.button("Open the payment page")["url"])
    payment_id = url.rsplit("orderId=", 1)[1]
    assert yk.payments[payment_id]["status"] == "pending"
    return payment_id


async def pay_and_confirm(user: TelegramUser, yk: YooKassaDouble, bot: BillingBot) -> str:
    """Pay from /billing, confirm on the page (the card is saved), YooKassa notifies; the payment id."""
    payment_id = await pay_from_billing(user, yk)
    yk.confirm(payment_id)
    assert await yk.notify(bot.notifications_url, "payment.succeeded", payment_id) == 200
    return payment_id


async def invoice_states(engine: AsyncEngine, user: TelegramUser) -> list[tuple[str, int, str]]:
    rows = await fetch(
        engine,
        "SELECT to_char(i.month, 'YYYY-MM'), i.amount, i.status FROM invoices i"
        " JOIN users u ON u.id = i.user_id WHERE u.telegram_id = :tg ORDER BY i.month",
        tg=user.id,
    )
    return [(str(m), int(a), str(s)) for m, a, s in rows]


async def test_the_month_cycle_from_invoice_to_automatic_charge(
    tg: BotApiDouble, yk: YooKassaDouble, bot: BillingBot, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    alice = tg.user("Alice")
    await owner_of(alice, 3, "2026-09..10", sessionmaker, engine)

    out = await bot.job("invoices", "--month", "2026-09")
    assert out.startswith("invoices 2026-09: issued ")
    assert await invoice_states(engine, alice) == [("2026-09", 2 * 19900, "open")]
    screen = await billing_screen(alice)
    text = screen.text or ""
    assert "Plan: 199.00 ₽ per device per month, the first device free." in text
    assert "Devices you own: 3" in text
    assert ": September 2026 — 398.00 ₽ for 3 devices, unpaid, due" in text
    assert "No saved card yet" in text

    payment_id = await pay_from_billing(alice, yk)
    assert yk.payments[payment_id]["amount"] == {"value": "398.00", "currency": "RUB"}
    yk.confirm(payment_id)
    assert await yk.notify(bot.notifications_url, "payment.succeeded", payment_id) == 200
    assert "Payment received: 398.00 ₽ for September 2026" in ((await alice.next_message()).text or "")

    screen = await billing_screen(alice)
    assert "Card: MasterCard *" in (screen.text or "")
    assert "autopay on" in (screen.text or "")

    # The next month is charged to the saved card without Alice doing anything.
    out = await bot.job("invoices", "--month", "2026-10")
    assert "charged" in out
    assert "Payment received: 398.00 ₽ for October 2026" in ((await alice.next_message()).text or "")
    assert await invoice_states(engine, alice) == [("2026-09", 39800, "paid"), ("2026-10", 39800, "paid")]
    charges = [p for p in yk.created("autopay") if p["metadata"].get("user_id")]
    assert any(p["payment_method"]["id"] == yk.payments[payment_id]["payment_method"]["id"] for p in charges)

    # Twice: nothing new issued, nothing charged again.
    assert (
        await bot.job("invoices", "--month", "2026-10") == "invoices 2026-10: issued 0, charged 0, failed 0"
    )
    screen = await billing_screen(alice)
    assert ": October 2026 — 398.00 ₽ for 3 devices, paid" in (screen.text or "")
    assert " September 2026 — 398.00 ₽ — paid" in (screen.text or "")


async def test_a_forged_notification_for_a_pending_payment_changes_nothing(
    tg: BotApiDouble, yk: YooKassaDouble, bot: BillingBot, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    bob = tg.user("Bob")
    await owner_of(bob, 2, "2026-08", sessionmaker, engine)
    await bot.job("invoices", "--month", "2026-08")
    payment_id = await pay_from_billing(bob, yk)
    # Someone posts "succeeded" for Bob's payment, which YooKassa still has as pending.
    forged = yk.notification("payment.succeeded", payment_id)
    forged["object"].update(status="succeeded", paid=True)
    assert await post_notification(bot.notifications_url, forged) == 200
    # And for a payment YooKassa never made, and a body that is no notification at all.
    unknown = {**forged, "object": {**forged["object"], "id": "2a6b3f4e-000f-5000-9000-000000000000"}}
    assert await post_notification(bot.notifications_url, unknown) == 200
    assert await post_notification(bot.notifications_url, {"hello": "world"}) == 400
    assert await invoice_states(engine, bob) == [("2026-08", 19900, "open")]
    assert await fetch(engine, "SELECT count(*) FROM payments WHERE yookassa_id = :id", id=payment_id) == [
        (0,)
    ]
    assert "unpaid" in ((await billing_screen(bob)).text or "")


async def test_a_duplicated_notification_is_applied_once(
    tg: BotApiDouble, yk: YooKassaDouble, bot: BillingBot, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    carol = tg.user("Carol")
    await owner_of(carol, 2, "2026-07", sessionmaker, engine)
    await bot.job("invoices", "--month", "2026-07")
    payment_id = await pay_from_billing(carol, yk)
    yk.confirm(payment_id)
    # Three at once (YooKassa retrying while the first is still being handled), then once more.
    statuses = list(
        await asyncio.gather(
            *(yk.notify(bot.notifications_url, "payment.succeeded", payment_id) for _ in range(3))
        )
    )
    statuses.append(await yk.notify(bot.notifications_url, "payment.succeeded", payment_id))
    # Out of order: a stale "canceled" after the success is re-read as succeeded and changes nothing.
    statuses.append(await yk.notify(bot.notifications_url, "payment.canceled", payment_id))
    assert statuses == [200, 200, 200, 200, 200]
    assert "Payment received" in ((await carol.next_message()).text or "")
    rows = await fetch(engine, "SELECT count(*) FROM payments WHERE yookassa_id = :id", id=payment_id)
    assert rows == [(1,)]
    assert await invoice_states(engine, carol) == [("2026-07", 19900, "paid")]
    assert carol.drain() == []


async def test_a_charge_that_fails_then_succeeds(
    tg: BotApiDouble, yk: YooKassaDouble, bot: BillingBot, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    dave = tg.user("Dave")
    await owner_of(dave, 2, "2026-05..06", sessionmaker, engine)
    await bot.job("invoices", "--month", "2026-05")
    await pay_and_confirm(dave, yk, bot)
    await dave.next_message()

    # June: YooKassa answers 500 then 429 before taking the charge; the client retries with the same key.
    yk.fail_next(500)
    yk.fail_next(429)
    await bot.job("invoices", "--month", "2026-06")
    assert "Payment received: 199.00 ₽ for June 2026" in ((await dave.next_message()).text or "")
    assert await invoice_states(engine, dave) == [("2026-05", 19900, "paid"), ("2026-06", 19900, "paid")]
    keys = [r.idempotence_key for r in yk.received if r.status in (429, 500)]
    assert len(keys) == 2
    assert len(set(keys)) == 1
    assert (
        sum(1 for p in yk.payments.values() if p["metadata"].get("invoice_id") == keys[0].split("-")[1]) == 1
    )


async def test_a_declined_charge_tells_the_owner_with_the_pay_button(
    tg: BotApiDouble, yk: YooKassaDouble, bot: BillingBot, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    erin = tg.user("Erin")
    await owner_of(erin, 2, "2026-03..04", sessionmaker, engine)
    await bot.job("invoices", "--month", "2026-03")
    await pay_and_confirm(erin, yk, bot)
    await erin.next_message()

    yk.decline_next_charge("insufficient_funds")
    out = await bot.job("invoices", "--month", "2026-04")
    assert "failed 1" in out
    notice = await erin.next_message()
    assert "did not go through (insufficient_funds)" in (notice.text or "")
    assert "💳 Pay 199.00 ₽" in notice.button_texts
    # Paying by hand from the notice settles it.
    erin.press("💳 Pay 199.00 ₽")
    link = await erin.next_message()
    await erin.next_answer()
    retry_id = str(link.button("Open the payment page")["url"]).rsplit("orderId=", 1)[1]
    yk.confirm(retry_id)
    await yk.notify(bot.notifications_url, "payment.succeeded", retry_id)
    assert "Payment received: 199.00 ₽ for April 2026" in ((await erin.next_message()).text or "")


async def test_the_month_boundary_follows_the_users_time_zone_not_utc(
    tg: BotApiDouble, bot: BillingBot, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    """A device paired at 21:30 UTC on 30 April is May's in Moscow (00:30 on 1 May) and April's in UTC.

    The invoice follows the user's time zone: every date the bot shows a user is in their zone, so "April" on
    their invoice must mean their April, and a day is charged as the day they lived through.
    """
    kate, liam = tg.user("Kate"), tg.user("Liam")
    paired = datetime(2025, 4, 30, 21, 30, tzinfo=UTC)
    for person in (kate, liam):
        _, second = await owner_of(person, 2, "2025-04..05", sessionmaker, engine)
        await own_during(engine, second, paired, Month(2025, 5).end(MOSCOW))
    await execute(engine, "UPDATE users SET timezone = 'UTC' WHERE telegram_id = :tg", tg=liam.id)

    await bot.job("invoices", "--month", "2025-04")
    assert await invoice_states(engine, kate) == []
    assert await invoice_states(engine, liam) == [("2025-04", 663, "open")]  # 199 ₽ × 1/30 day
    assert "No invoices yet" in ((await billing_screen(kate)).text or "")
    assert ": April 2025 — 6.63 ₽ for 2 devices, unpaid" in ((await billing_screen(liam)).text or "")


async def test_an_open_payment_page_is_offered_again_and_an_abandoned_one_replaced(
    tg: BotApiDouble, yk: YooKassaDouble, bot: BillingBot, sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    nina = tg.user("Nina")
    await owner_of(nina, 2, "2025-08", sessionmaker, engine)
    await bot.job("invoices", "--month", "2025-08")
    first = await pay_from_billing(nina, yk)
    assert await pay_from_billing(nina, yk) == first
    # Nina closed the page; YooKassa cancelled the payment without telling anyone.
    yk.cancel(first)
    second = await pay_from_billing(nina, yk)
    assert second != first
    # The first one is settled from the API, not just forgotten.
    rows = await fetch(engine, "SELECT status FROM payment_attempts WHERE yookassa_id = :id", id=first)
    assert rows == [("canceled",)]
