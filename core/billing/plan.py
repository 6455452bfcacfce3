"""What a month costs: per-device price, free devices, days-owned proration. Plain functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.billing.months import Month
from core.settings import BillingSettings


@dataclass(frozen=True, slots=True)
class Plan:
    price: int  # kopecks per device per whole month
    free_devices: int

    @classmethod
    def of(cls, settings: BillingSettings) -> Plan:
        """The plan `BILLING_PRICE` and `BILLING_FREE_DEVICES` describe."""
        return cls(price=settings.price_kopecks, free_devices=settings.billing_free_devices)


@dataclass(frozen=True, slots=True)
class Ownership:
    """A user held the device from `start` until `end` (None: still holds it)."""

    device_id: int
    start: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Line:
    device_id: int
    days: int
    amount: int  # kopecks before the free allowance
    free: bool


@dataclass(frozen=True, slots=True)
class Draft:
    month: Month
    lines: tuple[Line, ...]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines if not line.free)

    @property
    def devices(self) -> int:
        return len(self.lines)


def days_owned(ownership: Ownership, month: Month, zone: ZoneInfo) -> int:
    """The days of `month` (in `zone`) this owner pays for.

    A day belongs to whoever owns the device when it ends (the local midnight after it), so on the day of a
    transfer exactly one owner pays, a device removed during a day is not charged for that day, and one paired
    during a day is.
    """
    return sum(
        1
        for day_end in month.day_ends(zone)
        if ownership.start < day_end and (ownership.end is None or ownership.end >= day_end)
    )


def prorate(price: int, days: int, month_days: int) -> int:
    """`price` × days / month_days in kopecks, rounded half up, in integers only."""
    return (2 * price * days + month_days) // (2 * month_days)


def draft_invoice(ownerships: Iterable[Ownership], month: Month, zone: ZoneInfo, plan: Plan) -> Draft:
    """One user's invoice for `month`: a line per device with its days; the dearest `free_devices` are free.

    Several ownerships of one device (removed and paired again) add up, never beyond the month's days.
    """
    days: dict[int, int] = {}
    for ownership in ownerships:
        days[ownership.device_id] = days.get(ownership.device_id, 0) + days_owned(ownership, month, zone)
    charged = sorted(
        ((device, min(count, month.days)) for device, count in days.items() if count > 0),
        key=lambda item: (-item[1], item[0]),
    )
    lines = tuple(
        Line(device, count, prorate(plan.price, count, month.days), free=index < plan.free_devices)
        for index, (device, count) in enumerate(charged)
    )
    return Draft(month, lines)


def paid_devices(device_ids: list[int], free_devices: int) -> list[int]:
    """Which of a user's devices (oldest first) are beyond the free allowance: those a grace pause stops."""
    return device_ids[free_devices:]
