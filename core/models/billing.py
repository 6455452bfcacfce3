"""Billing tables: who owned which device when, invoices, payment attempts, applied payments, cards, refunds.

Amounts are integer kopecks. `payments.yookassa_id` is UNIQUE: applying a succeeded payment is an INSERT that
either creates that row or changes nothing, so a payment is applied exactly once however often it is reported.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at_column

INVOICE_STATES = ("open", "paid", "cancelled")


class DeviceOwnership(Base):
    """Written by a trigger on user_devices whenever an owner link appears, moves or goes."""

    __tablename__ = "device_ownerships"
    __table_args__ = (
        Index("ix_device_ownerships_user_id", "user_id"),
        Index(
            "uq_device_ownerships_open", "device_id", unique=True, postgresql_where=text("ended_at IS NULL")
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        # Issuing twice for one user and month is impossible, not merely avoided.
        UniqueConstraint("user_id", "month"),
        CheckConstraint("status IN ('open', 'paid', 'cancelled')", name="status"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)  # first day of the month billed
    amount: Mapped[int] = mapped_column(BigInteger)
    devices: Mapped[int] = mapped_column()
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    status: Mapped[str] = mapped_column(String(12), default="open", server_default="open")
    issued_at: Mapped[datetime] = created_at_column()
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PaymentAttempt(Base):
    """A payment we asked YooKassa for; its state here is only what the API last told us."""

    __tablename__ = "payment_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    yookassa_id: Mapped[str] = mapped_column(String(64), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    idempotence_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # checkout | autopay
    status: Mapped[str] = mapped_column(String(24))
    confirmation_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()


class Payment(Base):
    """A succeeded payment, applied to its invoice. One row per YooKassa payment, ever."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    yookassa_id: Mapped[str] = mapped_column(String(64), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    applied_at: Mapped[datetime] = created_at_column()


class PaymentMethod(Base):
    """The user's saved card (one per user) and whether later invoices are charged to it automatically."""

    __tablename__ = "payment_methods"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    yookassa_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(64))  # e.g. "Visa *4444"
    autopay: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    saved_at: Mapped[datetime] = created_at_column()


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    yookassa_id: Mapped[str] = mapped_column(String(64), unique=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()


class BillingPause(Base):
    """A device paused by an overdue invoice: no alerts, live or history until the invoice is paid."""

    __tablename__ = "billing_pauses"

    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    since: Mapped[datetime] = created_at_column()
