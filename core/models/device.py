"""Device types, devices, who may use them (user_devices) and their desired configuration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at_column

ROLES = ("owner", "admin", "viewer")


class DeviceType(Base):
    __tablename__ = "device_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    sensors: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # report_interval, alert rule defaults (see core.alert_rules) and anything else a new device starts with.
    default_config: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class Device(Base):
    __tablename__ = "devices"
    # Half of each page free: ingest's presence updates stay on their page (HOT, no index entry), see the
    # hot_updates migration.
    __table_args__ = (
        # The few devices with an open offline episode, which ingest asks for with every batch.
        Index("ix_devices_offline", "id", postgresql_where=text("offline_since IS NOT NULL")),
        {"postgresql_with": {"fillfactor": 50}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_uid: Mapped[str] = mapped_column(String(64), unique=True)
    device_type: Mapped[str] = mapped_column(ForeignKey("device_types.code"))
    name: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(100))
    firmware_version: Mapped[str | None] = mapped_column(String(32))
    last_ip: Mapped[str | None] = mapped_column(String(64))
    last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_online: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the last offline notice went out: flap damping (one per 30 min).
    offline_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Since when the alerting side counts the device offline (None: online or never seen). Kept apart from
    # is_online, which ingest overwrites with every status message, so each offline episode is noticed once.
    offline_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # SHA-256 (hex) of the secret the device registered with on the broker; None: never asked with one.
    # Only the first secret for a uid counts (core.services.broker_access), kept across removals.
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()


class UserDevice(Base):
    __tablename__ = "user_devices"
    __table_args__ = (
        UniqueConstraint("user_id", "device_id"),
        CheckConstraint("role IN ('owner', 'admin', 'viewer')", name="role"),
        # Exactly one owner per device is a database fact, not a hope.
        Index("uq_user_devices_one_owner", "device_id", unique=True, postgresql_where=text("role = 'owner'")),
        Index("ix_user_devices_device_id", "device_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default="viewer", server_default="viewer")
    notifications: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    muted_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class DeviceConfig(Base):
    """Desired state of a device; the processor publishes it retained whenever `version` moves on."""

    __tablename__ = "device_configs"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), unique=True)
    report_interval: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    alerts_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    co2_threshold: Mapped[int] = mapped_column(Integer, default=1000, server_default="1000")
    night_mode_start: Mapped[int | None] = mapped_column(SmallInteger)
    night_mode_end: Mapped[int | None] = mapped_column(SmallInteger)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    published_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    applied_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = created_at_column()
