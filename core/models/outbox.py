"""Notification outbox: what the bot must send, written in the same transaction as its cause."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at_column


class OutboxMessage(Base):
    __tablename__ = "notification_outbox"
    __table_args__ = (
        # Pending rows and `sending` rows whose lease (next_attempt_at) may expire: what claim_due scans.
        Index(
            "ix_notification_outbox_pending",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
        # One delivery per recipient of a broadcast is a database fact: a repeated insert cannot double it.
        Index(
            "uq_notification_outbox_broadcast_recipient",
            "broadcast_id",
            "user_id",
            unique=True,
            postgresql_where=text("broadcast_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    # A broadcast's delivery to this user (core.services.broadcast); claimed after every other notice.
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # pending → sending → sent | failed | cancelled (a broadcast's); `sending` rows older than a lease are
    # retried after a crash.
    status: Mapped[str] = mapped_column(String(12), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    # Makes a message once-only where its cause could repeat, e.g. "digest:<user id>:<local date>".
    dedup_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()
