"""Buttons of alert notices, /alerts and /digest."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class MuteDevice(CallbackData, prefix="mute"):
    """The "Mute 1 h" button under a notice: this device, for the presser only."""

    device_id: int


class AlertsPage(CallbackData, prefix="alp"):
    page: int


class AlertsReadAll(CallbackData, prefix="alr"):
    # The page to show again afterwards; the marking itself only ever touches the caller's alerts.
    page: int


class DigestChoice(CallbackData, prefix="dgs"):
    # The wanted state, not a toggle: a replayed button cannot flip it back.
    enabled: bool
    hour: int
