"""`python -m bot.jobs JOB`: run one scheduled job once, by hand, and print what it did.

    python -m bot.jobs invoices --month 2026-11   # issue November's invoices and charge saved cards
    python -m bot.jobs grace                      # retry today's charges, pause overdue accounts
    python -m bot.jobs digests                    # queue the morning digests due now
    python -m bot.jobs retention                  # partitions ahead, old ones dropped, expired rows pruned

Each job is idempotent: running it twice issues, charges or queues nothing new.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, datetime

from bot.jobs import billing
from bot.jobs import retention as retention_job
from bot.jobs.digest import queue_digests
from core.billing import yookassa
from core.billing.months import Month
from core.db import make_engine, make_sessionmaker
from core.services import retention
from core.settings import BillingSettings, DatabaseSettings, PresenceSettings, RetentionSettings, load


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.jobs", description="Run one scheduled job once.")
    jobs = parser.add_subparsers(dest="job", required=True, metavar="JOB")
    invoices = jobs.add_parser("invoices", help="issue a month's invoices and charge saved cards (the 1st)")
    invoices.add_argument("--month", type=_month, help="YYYY-MM; the previous month by default")
    jobs.add_parser("grace", help="retry today's automatic charges, pause overdue accounts (hourly)")
    jobs.add_parser("digests", help="queue the morning digests due now (every 5 minutes)")
    jobs.add_parser("retention", help="create partitions ahead, drop expired ones, prune old rows (daily)")
    return parser


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


async def _run(args: argparse.Namespace, database: DatabaseSettings, settings: BillingSettings) -> str:
    engine = make_engine(database.database_url)
    sessionmaker = make_sessionmaker(engine)
    now = datetime.now(UTC)
    try:
        if args.job == "digests":
            queued = await queue_digests(sessionmaker, now, load(PresenceSettings).min_silence)
            return f"digests queued for {queued or 0} users"
        if args.job == "retention":
            days = load(RetentionSettings).telemetry_retention_days
            return retention_job.describe(await retention.run(sessionmaker, now, days))
        if not settings.enabled:
            return "billing is off (YOOKASSA_SHOP_ID is unset): nothing issued, charged or paused"
        yookassa.configure(settings)
        if args.job == "invoices":
            month = args.month or Month.of(now.date()).previous()
            summary = await billing.invoices(sessionmaker, settings, month, now)
            label = f"invoices {month}"
        else:
            summary = await billing.grace(sessionmaker, settings, now)
            label = "grace"
        if summary is None:
            return f"{label}: another instance is running this job; nothing done"
        return f"{label}: issued {summary.issued}, charged {summary.charged}, failed {summary.failed}"
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    database, settings = load(DatabaseSettings), load(BillingSettings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    print(asyncio.run(_run(args, database, settings)))  # noqa: T201 - the operator at the console asked


if __name__ == "__main__":
    main(sys.argv[1:])
