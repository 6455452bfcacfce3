"""What the billing handlers need from the composition root, passed as the dispatcher's `billing` data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.billing.plan import Plan
from core.settings import BillingSettings


@dataclass(frozen=True, slots=True)
class BillingContext:
    settings: BillingSettings
    return_url: str  # where YooKassa's page sends the person after paying

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    @property
    def plan(self) -> Plan:
        return Plan.of(self.settings)

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)
