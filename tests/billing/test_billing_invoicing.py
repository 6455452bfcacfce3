"""Issuing a month's invoices from the ownership history the database keeps."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.billing.invoicing import issue_invoices
from core.billing.months import Month
from core.billing.plan import Plan
from tests.billing.helpers import make_device, make_user, own, unlink
from tests.kit.sql import execute, fetch

Sessions = async_sessionmaker[AsyncSession]
PLAN = Plan(price=19900, free_devices=1)
MOSCOW = ZoneInfo("Europe/Moscow")
# A month no other test in this package bills.
MONTH = Month(2025, 4)
AFTER = datetime(2025, 5, 2, tzinfo=UTC)


async def issue(sessionmaker: Sessions, month: Month = MONTH, now: datetime = AFTER) -> dict[int, int]:
    async with sessionmaker() as session:
        issued = await issue_invoices(session, month, PLAN, grace_days=14, now=now)
        await session.commit()
    return {item.user_id: item.amount for item in issued}


async def test_ownership_history_follows_pairing_transfer_and_removal(engine: AsyncEngine) -> None:
    seller, buyer = await make_user(engine), await make_user(engine)
    device = await make_device(engine)
    await own(engine, seller, device, datetime(2025, 1, 1, tzinfo=UTC))
    # A transfer: the old owner becomes a viewer and the new one the owner, in one transaction.
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE user_devices SET role = 'viewer' WHERE device_id = :d"), {"d": device}
        )
        await connection.execute(
            text("INSERT INTO user_devices (user_id, device_id, role) VALUES (:buyer, :d, 'owner')"),
            {"d": device, "buyer": buyer},
        )
    await execute(engine, "DELETE FROM user_devices WHERE device_id = :d", d=device)
    rows = await fetch(
        engine,
        "SELECT user_id, ended_at IS NOT NULL FROM device_ownerships WHERE device_id = :d ORDER BY id",
        d=device,
    )
    assert rows == [(seller, True), (buyer, True)]


async def test_issuing_twice_issues_nothing_new(engine: AsyncEngine, sessionmaker: Sessions) -> None:
    owner = await make_user(engine)
    for _ in range(3):
        await own(engine, owner, await make_device(engine), datetime(2025, 3, 1, tzinfo=UTC))
    first = await issue(sessionmaker)
    assert first[owner] == 2 * 19900
    second = await issue(sessionmaker)
    assert owner not in second
    rows = await fetch(engine, "SELECT amount, devices, status FROM invoices WHERE user_id = :u", u=owner)
    assert rows == [(2 * 19900, 3, "open")]


async def test_a_single_free_device_issues_no_invoice(engine: AsyncEngine, sessionmaker: Sessions) -> None:
    owner = await make_user(engine)
    await own(engine, owner, await make_device(engine), datetime(2025, 3, 1, tzinfo=UTC))
    assert owner not in await issue(sessionmaker)


async def test_transfer_and_removal_charge_by_days(engine: AsyncEngine, sessionmaker: Sessions) -> None:
    seller, buyer = await make_user(engine), await make_user(engine)
    kept_seller, kept_buyer = await make_device(engine), await make_device(engine)
    await own(engine, seller, kept_seller, datetime(2025, 1, 1, tzinfo=UTC))
    await own(engine, buyer, kept_buyer, datetime(2025, 1, 1, tzinfo=UTC))
    sold = await make_device(engine)
    await own(engine, seller, sold, datetime(2025, 1, 1, tzinfo=UTC))
    # Sold on 11 April at 15:00 Moscow: the seller pays 1..10 April, the buyer 11..30.
    moment = datetime(2025, 4, 11, 15, tzinfo=MOSCOW)
    await unlink(engine, sold, moment)
    await own(engine, buyer, sold, moment)
    removed = await make_device(engine)
    await own(engine, seller, removed, datetime(2025, 1, 1, tzinfo=UTC))
    await unlink(engine, removed, datetime(2025, 3, 30, tzinfo=UTC))
    issued = await issue(sessionmaker)
    assert issued[seller] == 6633  # the kept device is the free one; the removed one costs nothing
    assert issued[buyer] == 13267


async def test_an_invoice_waits_for_the_month_to_end_in_the_users_zone(
    engine: AsyncEngine, sessionmaker: Sessions
) -> None:
    month = Month(2025, 6)
    west = await make_user(engine, timezone="America/New_York")
    east = await make_user(engine, timezone="Asia/Tokyo")
    for user in (west, east):
        for _ in range(2):
            await own(engine, user, await make_device(engine), datetime(2025, 5, 1, tzinfo=UTC))
    # 1 July 01:00 UTC: over in Tokyo (10:00), still 30 June 21:00 in New York.
    early = await issue(sessionmaker, month, datetime(2025, 7, 1, 1, tzinfo=UTC))
    assert east in early
    assert west not in early
    later = await issue(sessionmaker, month, datetime(2025, 7, 1, 5, tzinfo=UTC))
    assert west in later
    assert east not in later
