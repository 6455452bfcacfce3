"""What a worker is asked to draw: plain data, picklable, importable without matplotlib (see .pool)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.services.history import ChartSettings, DeviceHistory


@dataclass(frozen=True, slots=True)
class HistoryJob:
    data: DeviceHistory
    settings: ChartSettings
    start: datetime
    end: datetime
    tz_name: str
    language: str
