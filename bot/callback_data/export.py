"""Buttons of /export: the device, then the period."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from core.services.periods import Span


class ExportPick(CallbackData, prefix="expl"):
    """A page of the device picker."""

    page: int


class ExportDevice(CallbackData, prefix="expd"):
    device_id: int


class ExportPeriod(CallbackData, prefix="expp"):
    device_id: int
    span: Span
