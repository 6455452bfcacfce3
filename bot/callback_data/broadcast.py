"""Buttons of /broadcast: the audience, send or discard the draft, cancel a broadcast under way."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class AudienceKind(StrEnum):
    ALL = "all"
    TYPE = "type"  # owners of a device type
    UNPAID = "unpaid"  # users with an open invoice (billing on)


class BroadcastAudience(CallbackData, prefix="bca"):
    kind: AudienceKind
    device_type: str = ""


class BroadcastSend(CallbackData, prefix="bcs"):
    # The draft this confirms (FSM data): a button left from an earlier draft does not send the new one.
    draft: str


class BroadcastDiscard(CallbackData, prefix="bcd"):
    pass


class BroadcastCancel(CallbackData, prefix="bcc"):
    broadcast_id: int
