"""Firmware images, their rollouts, device commands: desired state the processor pushes out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at_column


class Firmware(Base):
    """One image of a device type. The file itself lives on disk under FIRMWARE_DIR (`file_name`)."""

    __tablename__ = "firmware"
    __table_args__ = (UniqueConstraint("device_type", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_type: Mapped[str] = mapped_column(ForeignKey("device_types.code"))
    version: Mapped[str] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int | None] = mapped_column(BigInteger)
    # SHA-256 of the file, hex.
    checksum: Mapped[str | None] = mapped_column(String(64))
    # Ed25519 over the 32-byte SHA-256 digest, base64 (core.ota.signing).
    signature: Mapped[str | None] = mapped_column(Text)
    changelog: Mapped[str | None] = mapped_column(Text)
    # draft | stable | withdrawn (core.ota.firmware.State)
    state: Mapped[str] = mapped_column(String(12), server_default="draft")
    file_name: Mapped[str | None] = mapped_column(String(128))
    uploaded_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = created_at_column()


class Rollout(Base):
    """Firmware on its way to one device, a canary share of a type, or all of a type, stage by stage."""

    __tablename__ = "rollouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    firmware_id: Mapped[int] = mapped_column(ForeignKey("firmware.id"))
    # device | canary | all (core.ota.rollouts.Scope)
    scope: Mapped[str] = mapped_column(String(8))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    # Cumulative percentages of the type's devices per stage, e.g. {5, 25, 100}.
    stages: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))
    stage: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    # More failed devices than this halts the rollout.
    failure_threshold: Mapped[int] = mapped_column(Integer, server_default="0")
    # A device silent this long after its document was published counts as failed.
    timeout_seconds: Mapped[int] = mapped_column(Integer, server_default="1800")
    # The next stage starts by itself this long after the current one ended within the threshold;
    # NULL: only the operator's ⏩ widens it.
    soak_seconds: Mapped[int | None] = mapped_column(Integer)
    # When the current stage began (the rollout started, or was widened to it).
    stage_started_at: Mapped[datetime] = created_at_column()
    # running | paused | halted | cancelled | done (core.ota.rollouts.State)
    state: Mapped[str] = mapped_column(String(12), server_default="running")
    started_by: Mapped[int | None] = mapped_column(BigInteger)
    # The operator's (or owner's) Telegram id: told when the rollout halts.
    created_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RolloutTarget(Base):
    """One device of a rollout: its download token (hashed), what it reported, what the broker holds."""

    __tablename__ = "rollout_targets"
    __table_args__ = (
        Index("ix_rollout_targets_token_hash", "token_hash", unique=True),
        Index("ix_rollout_targets_device_id", "device_id"),
        # The processor's rounds read only these: targets still to publish, or whose document to clear.
        Index(
            "ix_rollout_targets_unsettled",
            "rollout_id",
            postgresql_where=text("published_at IS NULL OR (finished_at IS NOT NULL AND cleared_at IS NULL)"),
        ),
    )

    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollouts.id", ondelete="CASCADE"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    stage: Mapped[int] = mapped_column(SmallInteger)
    # SHA-256 (hex) of the device's download token; the token itself is only in the retained document.
    token_hash: Mapped[str | None] = mapped_column(String(64))
    # pending | downloading | verifying | installing | success | failed | rolled_back
    state: Mapped[str] = mapped_column(String(12), server_default="pending")
    error: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    downloaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The retained devices/{uid}/ota document was removed (finished or cancelled).
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The owner's self-editing progress message, when the owner started this update from the device card.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)


class DeviceCommand(Base):
    __tablename__ = "device_commands"
    __table_args__ = (
        Index("ix_device_commands_device_id", "device_id"),
        # The processor's claim of commands still to send reads only these: the table keeps every answer.
        Index("ix_device_commands_unpublished", "created_at", postgresql_where=text("published_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    command: Mapped[str] = mapped_column(String(16))
    args: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result_ok: Mapped[bool | None] = mapped_column(Boolean)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at_column()
