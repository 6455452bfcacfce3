"""A rendering worker reuses its figures: every chart must come out exactly as if drawn on a new figure."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import numpy as np
from PIL import Image

from charts import Bucket, History, Period, Point, history_chart, style
from charts.history import history_figure

END = datetime(2026, 11, 30, 12, tzinfo=UTC)


def hourly(base: float, swing: float, days: int = 7) -> list[Bucket]:
    start = END - timedelta(days=days)
    return [
        Bucket(start + timedelta(hours=h), base + swing * (h % 24) / 24 - 1, base + swing * (h % 24) / 24,
               base + swing * (h % 24) / 24 + 1)
        for h in range(days * 24)
        if not 40 < h < 60  # an outage
    ]  # fmt: skip


def raw(base: float, swing: float, hours: int = 6) -> list[Point]:
    start = END - timedelta(hours=hours)
    return [
        Point(start + timedelta(seconds=30 * n), base + swing * (n % 100) / 100)
        for n in range(hours * 120)
        if not 200 < n < 300
    ]


WEEK = History(
    "Week", Period(END - timedelta(days=7), END), "Europe/Moscow",
    {"co2": hourly(700, 400), "temperature": hourly(21, 2), "humidity": hourly(40, 10)}, 30, 1000.0,
)  # fmt: skip
WARM = History(
    "Warm", Period(END - timedelta(hours=6), END), "Asia/Kolkata", {"temperature": raw(18, 5)}, 30, None
)
DAMP = History("Damp", Period(END - timedelta(hours=6), END), "UTC", {"humidity": raw(60, 20)}, 30, None)
METER = History(
    "Meter", Period(END - timedelta(days=2), END), "UTC", {"co2": raw(1500, 600, 48)}, 30, 800.0,
    consumption={"energy": [(END - timedelta(hours=h), 1.0 + h % 5) for h in range(48, 0, -1)]},
)  # fmt: skip


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def on_a_new_figure(history: History) -> bytes:
    with style.styled():
        return style.png(history_figure(history))


def test_charts_drawn_one_after_another_look_exactly_as_on_new_figures() -> None:
    # Same panel counts in turn, so each figure is emptied and refilled: limits, bars, zones, outages, titles.
    for history in (WEEK, WARM, METER, DAMP, WEEK, METER, WARM, DAMP):
        reused, fresh = pixels(history_chart(history)), pixels(on_a_new_figure(history))
        assert reused.shape == fresh.shape, history.device_name
        assert np.array_equal(reused, fresh), history.device_name
