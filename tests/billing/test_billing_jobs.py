"""`python -m bot.jobs`: the jobs listed, a bad month refused clearly, one run per cluster (advisory lock)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.jobs import billing
from core.billing.months import Month
from core.settings import BillingSettings
from tests.kit.forkserver import run_to_end

Sessions = async_sessionmaker[AsyncSession]


async def jobs(*args: str) -> tuple[int, str, str]:
    finished = await run_to_end("bot.jobs", *args)
    return finished.returncode, finished.stdout, finished.stderr


async def test_help_lists_every_job() -> None:
    code, out, _ = await jobs("--help")
    assert code == 0
    for job in ("invoices", "grace", "digests", "retention"):
        assert f"    {job}" in out


async def test_a_malformed_month_is_refused_with_one_clear_line() -> None:
    code, _, err = await jobs("invoices", "--month", "2026-13")
    assert code == 2
    assert "'2026-13' is not a month like 2026-11" in err
    assert "Traceback" not in err


async def test_a_second_instance_does_nothing_while_the_first_holds_the_lock(sessionmaker: Sessions) -> None:
    settings = BillingSettings(YOOKASSA_SHOP_ID="1", YOOKASSA_SECRET_KEY=SecretStr("s"))
    month, now = Month(2024, 1), datetime.now(UTC)
    async with sessionmaker() as holder:
        assert await holder.scalar(select(func.pg_try_advisory_lock(billing.INVOICES_LOCK)))
        assert await billing.invoices(sessionmaker, settings, month, now) is None
        await holder.scalar(select(func.pg_advisory_unlock(billing.INVOICES_LOCK)))
    summary = await billing.invoices(sessionmaker, settings, month, now)
    assert summary is not None
    assert (summary.issued, summary.charged, summary.failed) == (0, 0, 0)
