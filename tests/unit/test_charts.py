"""Chart rendering: the images a user receives, checked by decoding them, not by trusting the bytes."""

from __future__ import annotations

import io
import math
import pickle
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from PIL import Image

from charts import (
    RUSSIAN,
    AlertEntry,
    Bucket,
    Comparison,
    DaySummary,
    History,
    MonthlyReport,
    Period,
    Point,
    comparison_chart,
    history_chart,
    monthly_report,
    style,
)
from charts.comparison import PALETTE
from charts.history import history_figure
from charts.timeaxis import local_ticks

END = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DAY = Period(END - timedelta(days=1), END)
TEMPERATURE_RGB = (0xC0, 0x39, 0x2B)


def raw(period: Period, step_s: int = 30, skip: tuple[timedelta, timedelta] | None = None) -> list[Point]:
    """A smooth daily wave every `step_s` seconds, leaving out [skip) to simulate an outage."""
    count = int((period.end - period.start).total_seconds() // step_s)
    points = []
    for i in range(count):
        offset = timedelta(seconds=i * step_s)
        if skip and skip[0] <= offset < skip[1]:
            continue
        points.append(Point(period.start + offset, 21 + 2 * math.sin(i * step_s / 86400 * 2 * math.pi)))
    return points


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    image.load()  # raises on a truncated or corrupt file
    return image.convert("RGB")


def panel_height_px(panels: int) -> int:
    return round(style.DPI * (style.HEADER_IN + style.PANEL_IN * panels + style.FOOTER_IN))


def colour_pixels(image: Image.Image, rgb: tuple[int, int, int], tolerance: int = 40) -> np.ndarray:
    """Boolean mask of pixels within `tolerance` of `rgb` in every channel."""
    pixels = np.asarray(image, dtype=np.int16)
    return np.all(np.abs(pixels - np.array(rgb, dtype=np.int16)) <= tolerance, axis=-1)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def column_hits(image: Image.Image, ax: Axes, when: datetime, rgb: tuple[int, int, int]) -> int:
    """How many pixels of the line colour lie in the plot area's pixel column at time `when`."""
    height = image.height
    x_px, _ = ax.transData.transform((mdates.date2num(when), 0))
    bbox = ax.get_window_extent()
    top, bottom = int(height - bbox.y1) + 3, int(height - bbox.y0) - 3
    mask = colour_pixels(image, rgb)
    return int(mask[top:bottom, round(x_px)].sum())


def test_no_data_gives_a_no_data_image_not_an_error() -> None:
    history = History("Kitchen", DAY, "Europe/Moscow", {"co2": [], "temperature": []})
    image = decode(history_chart(history))
    assert image.size == (1080, 600)
    assert not colour_pixels(image, TEMPERATURE_RGB).any()
    # Something is written on it: dark text pixels exist.
    assert (np.asarray(image).sum(axis=-1) < 200).sum() > 500


def test_sparse_readings_are_drawn_as_visible_points() -> None:
    points = [Point(DAY.start + timedelta(hours=h), 20.0 + h / 10) for h in (1, 5, 9, 17)]
    history = History("Kitchen", DAY, "UTC", {"temperature": points})
    image = decode(history_chart(history))
    assert image.size == (1080, panel_height_px(1))
    assert colour_pixels(image, TEMPERATURE_RGB).sum() > 4 * 20  # four markers, far apart


def test_an_outage_leaves_a_break_in_the_line() -> None:
    outage = (timedelta(hours=8), timedelta(hours=16))
    history = History("Kitchen", DAY, "UTC", {"temperature": raw(DAY, skip=outage)}, report_interval_s=30)
    figure = history_figure(history)
    image = decode(style.png(figure))
    ax = figure.axes[0]
    assert column_hits(image, ax, DAY.start + timedelta(hours=12), TEMPERATURE_RGB) == 0
    assert column_hits(image, ax, DAY.start + timedelta(hours=4), TEMPERATURE_RGB) > 0
    assert column_hits(image, ax, DAY.start + timedelta(hours=20), TEMPERATURE_RGB) > 0


def test_without_an_outage_the_line_is_continuous() -> None:
    history = History("Kitchen", DAY, "UTC", {"temperature": raw(DAY)}, report_interval_s=30)
    figure = history_figure(history)
    image = decode(style.png(figure))
    assert column_hits(image, figure.axes[0], DAY.start + timedelta(hours=12), TEMPERATURE_RGB) > 0


def test_a_pause_shorter_than_three_report_intervals_is_not_an_outage() -> None:
    # Two missed 30 s reports (90 s of silence) around 12:00 are normal jitter, not an outage.
    pause = (timedelta(hours=12) - timedelta(seconds=30), timedelta(hours=12) + timedelta(seconds=30))
    history = History("Kitchen", DAY, "UTC", {"temperature": raw(DAY, skip=pause)}, report_interval_s=30)
    figure = history_figure(history)
    image = decode(style.png(figure))
    assert column_hits(image, figure.axes[0], DAY.start + timedelta(hours=12), TEMPERATURE_RGB) > 0


def test_readings_without_a_value_or_out_of_order_still_chart() -> None:
    points = raw(DAY, step_s=600)
    shuffled = points[1::2] + points[::2] + [Point(DAY.start, math.nan)]
    image = decode(history_chart(History("Kitchen", DAY, "UTC", {"temperature": shuffled})))
    assert image.size == (1080, panel_height_px(1))
    nothing = History("Kitchen", DAY, "UTC", {"temperature": [Point(DAY.start, math.nan)]})
    assert decode(history_chart(nothing)).size == (1080, 600)


def test_thirty_days_of_hourly_buckets_show_band_mean_and_outage() -> None:
    month = Period(END - timedelta(days=30), END)
    buckets = [
        Bucket(month.start + timedelta(hours=h), 19.0, 21.0 + math.sin(h / 4), 24.0)
        for h in range(30 * 24)
        if not 300 <= h < 340
    ]
    history = History("Kitchen", month, "UTC", {"temperature": buckets})
    figure = history_figure(history)
    image = decode(style.png(figure))
    assert image.size == (1080, panel_height_px(1))
    ax = figure.axes[0]
    assert column_hits(image, ax, month.start + timedelta(hours=320), TEMPERATURE_RGB) == 0
    assert column_hits(image, ax, month.start + timedelta(hours=100), TEMPERATURE_RGB) > 0


def test_thirty_days_of_raw_readings_render_with_every_metric_panel() -> None:
    month = Period(END - timedelta(days=30), END)
    points = raw(month)
    co2 = [Point(p.ts, 400 + 40 * p.value) for p in points]
    history = History(
        "Kitchen", month, "Europe/Moscow", {"co2": co2, "temperature": points, "humidity": points}
    )
    image = decode(history_chart(history))
    assert image.size == (1080, panel_height_px(3))


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/New_York"])
def test_time_axis_labels_show_the_users_local_time(zone: str) -> None:
    period = Period(datetime(2026, 11, 23, 0, tzinfo=UTC), datetime(2026, 11, 23, 6, tzinfo=UTC))
    history = History("Kitchen", period, zone, {"temperature": raw(period)})
    figure = history_figure(history)
    figure.canvas.draw()
    ax = figure.axes[-1]
    shown = [tick.get_text() for tick in ax.get_xticklabels()]
    at = [mdates.num2date(x, tz=ZoneInfo(zone)) for x in ax.get_xticks()]
    assert len(shown) >= 4
    for label, local in zip(shown, at, strict=True):
        assert label in (local.strftime("%H:%M"), local.strftime("%d.%m"))
        assert local.minute == 0  # round local hours, even in a half-hour zone


def test_kolkata_ticks_fall_on_its_half_hour_offset() -> None:
    period = Period(datetime(2026, 11, 23, 0, tzinfo=UTC), datetime(2026, 11, 23, 6, tzinfo=UTC))
    ticks = local_ticks(period.start, period.end, ZoneInfo("Asia/Kolkata"))
    assert [label for _, label in ticks] == ["06:00", "07:00", "08:00", "09:00", "10:00", "11:00"]
    assert ticks[0][0].astimezone(UTC) == datetime(2026, 11, 23, 0, 30, tzinfo=UTC)


def test_ticks_stay_on_round_local_hours_across_a_dst_change() -> None:
    zone = ZoneInfo("Europe/Berlin")  # clocks jump 02:00 → 03:00 on 29.03.2026
    period = Period(datetime(2026, 3, 28, 20, tzinfo=UTC), datetime(2026, 3, 29, 8, tzinfo=UTC))
    for instant, label in local_ticks(period.start, period.end, zone):
        local = instant.astimezone(zone)
        assert label in (local.strftime("%H:%M"), local.strftime("%d.%m"))
        assert local.minute == 0


def test_history_input_survives_the_trip_to_a_worker_process() -> None:
    history = History("Kitchen", DAY, "UTC", {"temperature": raw(DAY, step_s=600)})
    assert history_chart(pickle.loads(pickle.dumps(history))) == history_chart(history)


def test_russian_labels_render() -> None:
    history = History("Кухня", DAY, "Europe/Moscow", {"co2": [Point(p.ts, 900) for p in raw(DAY, 300)]})
    assert decode(history_chart(history, RUSSIAN)).size == (1080, panel_height_px(1))


def test_comparison_chart_draws_each_device_in_its_own_colour() -> None:
    kitchen = raw(DAY, step_s=60)
    bedroom = [
        Point(p.ts, p.value - 3) for p in raw(DAY, step_s=60, skip=(timedelta(hours=2), timedelta(hours=5)))
    ]
    comparison = Comparison("temperature", DAY, "Europe/Moscow", {"Kitchen": kitchen, "Bedroom": bedroom})
    image = decode(comparison_chart(comparison))
    assert image.width == 1080
    for colour in PALETTE[:2]:
        assert colour_pixels(image, hex_rgb(colour), tolerance=20).sum() > 500


def test_comparison_without_data_is_a_no_data_image() -> None:
    comparison = Comparison("co2", DAY, "UTC", {"Kitchen": [], "Bedroom": []})
    assert decode(comparison_chart(comparison)).size == (1080, 600)


def pdf_pages(pdf: bytes) -> int:
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def test_monthly_report_is_a_pdf_with_summary_metrics_and_alert_pages() -> None:
    days = [
        DaySummary(
            date(2026, 11, d),
            means={"co2": 700 + d, "temperature": 21.5},
            maxima={"co2": 1300 + d, "temperature": 24.0},
            hours_above=d % 4,
            uptime=0.5 if d == 7 else 1.0,
        )
        for d in range(1, 31)
    ]
    alerts = [
        AlertEntry(datetime(2026, 11, 1 + i % 30, 9, tzinfo=UTC), "co2_high", 1100, 1000) for i in range(45)
    ]
    report = MonthlyReport("Kitchen", 2026, 11, "Europe/Moscow", days, alerts, 1000)
    # Summary, other metrics, and 45 alerts over two pages of 40.
    assert pdf_pages(monthly_report(report)) == 4


def test_monthly_report_of_an_empty_month_is_still_a_valid_pdf() -> None:
    report = MonthlyReport("Kitchen", 2026, 2, "UTC", days=[], alerts=[])
    assert pdf_pages(monthly_report(report, RUSSIAN)) == 1
