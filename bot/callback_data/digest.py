"""Buttons of /digest: on or off, and the hour."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class DigestChoice(CallbackData, prefix="dgs"):
    # The wanted state, not a toggle: a replayed button cannot flip it back.
    enabled: bool
    hour: int
