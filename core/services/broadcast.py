"""Broadcasts: one message to many users, delivered as one notification_outbox row per recipient.

Why the outbox: its delivery worker already sends within Telegram's limits, honours 429 retry_after, marks
users who blocked the bot inactive, and never sends a row twice while its lease holds. A broadcast only adds
the `broadcasts` row (content, audience, the live progress message) and its recipients' rows, written in one
transaction, so a broadcast exists with all its recipients or not at all. The outbox claims broadcast rows
after every other notice (core.services.outbox), so alerts queued meanwhile go first.

Restarts: each recipient's row is pending, leased, sent, failed or cancelled; a killed bot's leased rows
come back when their lease ends. Nobody is skipped. The one window for a duplicate is the outbox's: Telegram
accepted a message and the bot died before committing `sent` (the worker commits each row right after
Telegram's answer, never in batches, so the window is one commit long).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, String, func, insert, literal, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from core import notify
from core.models import Broadcast, Device, DeviceType, Invoice, OutboxMessage, User, UserDevice

BROADCAST_KIND = "broadcast"
ALL = "all"
TYPE_PREFIX = "type:"
UNPAID = "unpaid"
TEXT_MAX_LENGTH = 4096
CAPTION_MAX_LENGTH = 1024
CANCELLED = "cancelled"
# The delivery rate behind the ETA is measured over this window.
RATE_WINDOW = timedelta(seconds=30)


class BadBroadcast(ValueError):
    """Content or audience the bot must refuse with a message to the operator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Content:
    """What recipients see: text, or a photo (Telegram file_id) with the text as its caption."""

    text: str
    photo: str | None = None

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "photo": self.photo}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Content:
        photo = payload.get("photo")
        return cls(str(payload.get("text") or ""), str(photo) if photo else None)


def check(content: Content) -> Content:
    """The content if Telegram would take it; BadBroadcast naming the problem otherwise."""
    limit = CAPTION_MAX_LENGTH if content.photo else TEXT_MAX_LENGTH
    if not content.text.strip() and not content.photo:
        raise BadBroadcast("empty")
    if len(content.text) > limit:
        raise BadBroadcast("caption-too-long" if content.photo else "too-long")
    return content


def _recipients(audience: str) -> Any:
    """users.id of everyone in the audience: reachable, not blocked by an operator."""
    reachable = select(User.id).where(User.is_active, User.blocked_at.is_(None))
    if audience == ALL:
        return reachable
    if audience.startswith(TYPE_PREFIX):
        owners = (
            select(UserDevice.user_id)
            .join(Device, Device.id == UserDevice.device_id)
            .where(UserDevice.role == "owner", Device.device_type == audience.removeprefix(TYPE_PREFIX))
        )
        return reachable.where(User.id.in_(owners))
    if audience == UNPAID:
        return reachable.where(User.id.in_(select(Invoice.user_id).where(Invoice.status == "open")))
    raise BadBroadcast("audience")


async def audience_size(session: AsyncSession, audience: str) -> int:
    return int(await session.scalar(select(func.count()).select_from(_recipients(audience).subquery())) or 0)


async def device_types(session: AsyncSession) -> list[str]:
    """Codes of the device types, for "owners of a device type" audiences."""
    return list(await session.scalars(select(DeviceType.code).order_by(DeviceType.code)))


async def start(
    session: AsyncSession, author_id: int, content: Content, audience: str, chat_id: int
) -> Broadcast:
    """The broadcast row and one pending outbox row per recipient, and a NOTIFY for the delivery worker.
    `chat_id` is the operator's chat, where the progress and the report go.

    Runs in the caller's transaction and never commits: commit once, and all of it exists.
    """
    check(content)
    broadcast = Broadcast(
        author_id=author_id,
        text=content.text,
        photo=content.photo,
        audience=audience,
        progress_chat_id=chat_id,
    )
    session.add(broadcast)
    await session.flush()
    recipients = _recipients(audience).subquery()
    rows = select(
        recipients.c.id,
        literal(BROADCAST_KIND, String()),
        literal(content.payload(), JSONB()),
        literal(broadcast.id, BigInteger()),
    )
    columns = ["user_id", "kind", "payload", "broadcast_id"]
    inserted = await session.execute(insert(OutboxMessage).from_select(columns, rows))
    broadcast.total = int(inserted.rowcount)  # type: ignore[attr-defined]
    await notify.notify(session, notify.OUTBOX, f"broadcast:{broadcast.id}")
    return broadcast


async def set_progress_message(
    session: AsyncSession, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    """The message that shows the broadcast's progress, edited in place until the final report."""
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values(progress_chat_id=chat_id, progress_message_id=message_id)
    )


@dataclass(frozen=True, slots=True)
class Progress:
    id: int
    status: str  # sending | done | cancelled
    total: int
    sent: int
    failed: int
    cancelled: int
    per_second: float  # recent delivery rate, for the ETA
    chat_id: int | None
    message_id: int | None
    language: str  # the operator's, for the progress message and the report

    @property
    def left(self) -> int:
        return max(self.total - self.sent - self.failed - self.cancelled, 0)

    @property
    def eta_seconds(self) -> float | None:
        if not self.left:
            return 0.0
        return self.left / self.per_second if self.per_second > 0 else None


_COUNTS = text("""
SELECT count(*) FILTER (WHERE status = 'sent') AS sent,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE status = 'sent' AND sent_at > :since) AS recent
FROM notification_outbox WHERE broadcast_id = :broadcast
""")


async def progress(session: AsyncSession, broadcast_id: int, now: datetime) -> Progress | None:
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None:
        return None
    counts = (await session.execute(_COUNTS, {"broadcast": broadcast_id, "since": now - RATE_WINDOW})).one()
    author = await session.get(User, broadcast.author_id) if broadcast.author_id is not None else None
    return Progress(
        broadcast.id,
        broadcast.status,
        broadcast.total,
        int(counts.sent),
        int(counts.failed),
        int(counts.cancelled),
        int(counts.recent) / RATE_WINDOW.total_seconds(),
        broadcast.progress_chat_id,
        broadcast.progress_message_id,
        author.language if author is not None else "en",
    )


async def in_progress(session: AsyncSession) -> list[int]:
    """Broadcasts still sending (or whose end is not recorded yet), oldest first."""
    return list(
        await session.scalars(
            select(Broadcast.id).where(Broadcast.status == "sending").order_by(Broadcast.id)
        )
    )


async def cancel(session: AsyncSession, broadcast_id: int, now: datetime) -> int:
    """Stop the broadcast: its rows not yet handed to a sender are cancelled (a send under way finishes and
    counts). Returns how many were cancelled; a finished broadcast changes nothing."""
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.status != "sending":
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            # Pending rows, and leased ones whose sender died (their lease ran out).
            (OutboxMessage.status == "pending")
            | ((OutboxMessage.status == "sending") & (OutboxMessage.next_attempt_at <= now)),
        )
        .values(status=CANCELLED, error="cancelled by an operator")
    )
    broadcast.status = CANCELLED
    broadcast.finished_at = now
    return int(result.rowcount)  # type: ignore[attr-defined]


async def finish_if_done(session: AsyncSession, broadcast_id: int, now: datetime) -> bool:
    """Record the end once no row is waiting or being sent; True when it ended now (report it once)."""
    result = await session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status == "sending",
            ~select(OutboxMessage.id)
            .where(
                OutboxMessage.broadcast_id == broadcast_id,
                OutboxMessage.status.in_(("pending", "sending")),
            )
            .exists(),
        )
        .values(status="done", finished_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
