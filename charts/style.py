"""Shared look: sizes for a phone screen, colours, fonts, the local time axis, and encoding to PNG."""

from __future__ import annotations

import io
from contextlib import AbstractContextManager
from datetime import datetime
from zoneinfo import ZoneInfo

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

DPI = 100
WIDTH_IN = 10.8  # 1080 px: a phone screen's width, so Telegram shows it without shrinking the text
PANEL_IN = 3.6
HEADER_IN = 1.1
FOOTER_IN = 0.75
PLOT_WIDTH_PX = 960  # roughly the data area; decimation keeps two points per column of it


LINE_COLOURS = {
    "co2": "#1f3b8c",
    "temperature": "#c0392b",
    "humidity": "#1f7a8c",
    "pm25": "#6c3483",
    "voc": "#8a5a00",
}
DEFAULT_COLOUR = "#333333"
OUTAGE_COLOUR = "#dedede"
THRESHOLD_COLOUR = "#b00020"
# CO2 air-quality zones, ppm: good, fair, poor, bad.
# (from, to, fill colour, colour of the zone's name: darker, to stay legible on the fill)
CO2_ZONES = (
    (0.0, 800.0, "#2e9e44", "#1d6b2d"),
    (800.0, 1000.0, "#f2c500", "#8a6d00"),
    (1000.0, 1400.0, "#f07f09", "#a35200"),
    (1400.0, 1e9, "#d62728", "#9c1a1b"),
)
ZONE_ALPHA = 0.14


def styled() -> AbstractContextManager[None]:
    """Our fonts for everything built and drawn inside; tick labels pick their size up at draw time."""
    return mpl.rc_context(
        {
            "font.size": 17,
            "axes.titlesize": 18,
            "axes.labelsize": 16,
            "xtick.labelsize": 15,
            "ytick.labelsize": 15,
        }
    )


def new_figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    """A figure detached from pyplot, so a long-running server never accumulates figures."""
    return Figure(figsize=(width_in, height_in), dpi=DPI)


def png(figure: Figure) -> bytes:
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    # Opaque RGB and a fast zlib level: a chart is sent once, so encoding time beats a few kilobytes.
    image.convert("RGB").save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def period_text(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    fmt = "%d.%m.%Y %H:%M" if local_start.year != local_end.year else "%d.%m %H:%M"
    return f"{local_start.strftime(fmt)} – {local_end.strftime(fmt)}"


def number(value: float) -> str:
    """Short human form: 1234 → 1234, 21.456 → 21.5."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}"
