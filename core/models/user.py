"""Telegram users of the bot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, SmallInteger, String, true
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at_column


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow", server_default="Europe/Moscow")
    # False once Telegram says the user blocked the bot; nothing is sent to inactive users.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    current_device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    digest_hour: Mapped[int] = mapped_column(SmallInteger, default=8, server_default="8")
    # Set by an operator (/users): the bot ignores this user; their devices keep reporting.
    blocked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
