"""Buttons under an alert notice (its "history" button is the /history chart's own HistoryView)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class MuteDevice(CallbackData, prefix="mute"):
    """The "Mute 1 h" button under a notice: this device, for the presser only."""

    device_id: int
