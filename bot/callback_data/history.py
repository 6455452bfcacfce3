"""Buttons under a /history chart: period and metric; the device id travels along and is re-checked."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from core.services.periods import Span

ALL_METRICS = "all"


class HistoryPick(CallbackData, prefix="histp"):
    """A page of the device picker shown when there is no current device."""

    page: int


class HistoryView(CallbackData, prefix="hist"):
    device_id: int
    span: Span = Span.H24
    metric: str = ALL_METRICS
