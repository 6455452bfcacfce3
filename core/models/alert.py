"""Alert rules per device, their persisted engine state, and the alert history shown to users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    REAL,
    Boolean,
    CheckConstraint,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at_column


class AlertRule(Base):
    __tablename__ = "alert_rules"
    __table_args__ = (
        UniqueConstraint("device_id", "metric", "direction"),
        CheckConstraint("direction IN ('above', 'below')", name="direction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8), default="above")
    threshold: Mapped[float] = mapped_column(Double)
    clear_level: Mapped[float] = mapped_column(Double)
    hold_seconds: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    critical: Mapped[float | None] = mapped_column(Double)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class AlertState(Base):
    """Where the engine stands for one rule, so a restart neither re-fires nor forgets."""

    __tablename__ = "alert_states"

    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(8), default="ok", server_default="ok")
    # Since when the value has been beyond the threshold (pending) or since when it fired (firing).
    since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_value: Mapped[float | None] = mapped_column(Double)
    peak_value: Mapped[float | None] = mapped_column(Double)
    updated_at: Mapped[datetime] = created_at_column()


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # e.g. co2_high, co2_normal, device_offline, device_online
    type: Mapped[str] = mapped_column(String(50))
    message: Mapped[str | None] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(REAL)
    threshold: Mapped[float | None] = mapped_column(REAL)
    # Held by night mode: not sent, summarised in the morning digest.
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_read: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = created_at_column()
