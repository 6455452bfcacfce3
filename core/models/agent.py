"""Bearer tokens of devices that speak HTTP instead of MQTT (SPEC 3a): only a hash is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at_column


class AgentToken(Base):
    __tablename__ = "agent_tokens"

    # One token per device: it is issued once, when the agent first polls after the pairing.
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    # SHA-256 hex of the token: a database leak does not leak usable tokens.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
