"""What operators work with: broadcasts, each program's health, and throttled error reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at_column


class Broadcast(Base):
    """One message to many users; each recipient's delivery is a notification_outbox row (broadcast_id)."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    # A Telegram file_id: the photo is sent by reference, never uploaded once per recipient.
    photo: Mapped[str | None] = mapped_column(String(256))
    audience: Mapped[str] = mapped_column(String(64))
    # sending → done | cancelled
    status: Mapped[str] = mapped_column(String(12), default="sending", server_default="sending")
    total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NodeHealth(Base):
    """A heartbeat row per program (bot, processor): where /admin reads their uptime and last error."""

    __tablename__ = "node_health"

    program: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    beat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ErrorReport(Base):
    """When operators were last told about an error kind, and how often it recurred since."""

    __tablename__ = "error_reports"

    kind: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    repeats: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
