"""Who is watching which device live right now: the shared fast-reporting request's reference count."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at_column


class LiveWatcher(Base):
    """One user's live view of one device; rows past `expires_at` no longer count."""

    __tablename__ = "live_watchers"
    __table_args__ = (
        UniqueConstraint("user_id", "device_id"),
        Index("ix_live_watchers_device_id_expires_at", "device_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One /live or /watch message: all its rows share the id, so the message's loop finds its own rows.
    session_id: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The message the view edits, once sent: what another bot process needs to take the view over.
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(Integer)
    # Renewed by the process keeping the view fresh; a stale one means that process is gone.
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_at: Mapped[datetime] = created_at_column()
