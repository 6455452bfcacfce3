"""Billing on the bot's /metrics: what an operator watches of invoices, charges, money, pauses and YooKassa.

Everything but the notification tally is read from PostgreSQL just before a scrape, so every replica reports
the same figures and a charge made by `python -m bot.jobs` in another process counts too. The tally of
`/yookassa` notifications is this process's own (a counter per replica; Prometheus sums them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.billing import revenue
from core.billing.months import Month
from core.billing.notifications import Verdict
from core.models import BillingPause, Invoice, Payment, PaymentAttempt
from core.models.billing import INVOICE_STATES
from core.monitoring.metrics import Refresh

ATTEMPT_KINDS = ("checkout", "autopay")
# YooKassa's payment states; "canceled" is a declined charge or a payment page given up.
ATTEMPT_STATES = ("pending", "waiting_for_capture", "succeeded", "canceled")


@dataclass(frozen=True, slots=True)
class Figures:
    invoices: dict[str, int]  # by status
    attempts: dict[tuple[str, str], int]  # by (kind, status YooKassa last gave)
    payments_applied: int
    month_paid: int  # kopecks applied in the current UTC month
    month_refunded: int
    paused_accounts: int
    paused_devices: int


async def figures(session: AsyncSession, now: datetime) -> Figures:
    """The billing figures as of `now`. The month's money is /revenue's for the UTC month of `now` (the
    figure /admin shows), so the three never disagree."""
    statuses = await session.execute(select(Invoice.status, func.count()).group_by(Invoice.status))
    attempts = await session.execute(
        select(PaymentAttempt.kind, PaymentAttempt.status, func.count()).group_by(
            PaymentAttempt.kind, PaymentAttempt.status
        )
    )
    applied = await session.scalar(select(func.count()).select_from(Payment))
    money = await revenue.revenue(session, Month.of(now.astimezone(UTC).date()))
    accounts, devices = (
        await session.execute(select(func.count(func.distinct(BillingPause.user_id)), func.count()))
    ).one()
    return Figures(
        invoices={str(status): int(count) for status, count in statuses},
        attempts={(str(kind), str(status)): int(count) for kind, status, count in attempts},
        payments_applied=int(applied or 0),
        month_paid=money.paid,
        month_refunded=money.refunded,
        paused_accounts=int(accounts),
        paused_devices=int(devices),
    )


class _Notifications(Collector):
    def __init__(self, verdicts: Counter[str]) -> None:
        self._verdicts = verdicts

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "smartair_billing_notifications",
            "YooKassa notifications on /yookassa by verdict: applied and ignored are accepted (200), "
            "malformed (400) and retry (503, the API unreachable) are refused",
            labels=["verdict"],
        )
        for verdict in Verdict:
            family.add_metric([verdict.value], self._verdicts[verdict.value])
        yield family


class _PaymentsApplied(Collector):
    def __init__(self) -> None:
        self.value = 0

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "smartair_billing_payments_applied",
            "Payments applied to invoices, ever (rows of payments; each YooKassa payment once)",
            value=self.value,
        )


def billing_metrics(
    registry: CollectorRegistry, sessionmaker: async_sessionmaker[AsyncSession], verdicts: Counter[str]
) -> Refresh:
    """Register billing's metrics on `registry` (`verdicts`: the /yookassa route's tally); returns the
    refresh to run before each scrape."""
    registry.register(_Notifications(verdicts))
    applied = _PaymentsApplied()
    registry.register(applied)
    invoices = Gauge("smartair_billing_invoices", "Invoices by status", ["status"], registry=registry)
    attempts = Gauge(
        "smartair_billing_payment_attempts",
        "Payments asked of YooKassa by kind (checkout, autopay) and the status it last gave"
        " (canceled: declined or given up)",
        ["kind", "status"],
        registry=registry,
    )
    money = Gauge(
        "smartair_billing_month_roubles",
        "Roubles paid and refunded in the current UTC month",
        ["flow"],
        registry=registry,
    )
    paused = Gauge(
        "smartair_billing_paused",
        "Accounts (owners) and devices paused by an overdue invoice",
        ["what"],
        registry=registry,
    )

    async def refresh_billing() -> None:
        async with sessionmaker() as session:
            now = await figures(session, datetime.now(UTC))
        for status in INVOICE_STATES:
            invoices.labels(status).set(now.invoices.get(status, 0))
        known = {(kind, status) for kind in ATTEMPT_KINDS for status in ATTEMPT_STATES}
        for kind, status in sorted(known | set(now.attempts)):
            attempts.labels(kind, status).set(now.attempts.get((kind, status), 0))
        applied.value = now.payments_applied
        money.labels("paid").set(float(Decimal(now.month_paid) / 100))
        money.labels("refunded").set(float(Decimal(now.month_refunded) / 100))
        paused.labels("accounts").set(now.paused_accounts)
        paused.labels("devices").set(now.paused_devices)

    return refresh_billing
