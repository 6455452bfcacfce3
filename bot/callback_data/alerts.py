"""Buttons of /alerts: turn the page, mark all read."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class AlertsPage(CallbackData, prefix="alp"):
    page: int


class AlertsReadAll(CallbackData, prefix="alr"):
    # The page to show again afterwards; the marking itself only ever touches the caller's alerts.
    page: int
