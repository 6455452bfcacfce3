"""Shared look: sizes for a phone screen, colours, fonts, the local time axis, and encoding to PNG."""

from __future__ import annotations

import struct
import zlib
from contextlib import AbstractContextManager
from datetime import datetime
from zoneinfo import ZoneInfo

import matplotlib as mpl
import numpy as np
import numpy.typing as npt
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from charts import agg_text

DPI = 100
WIDTH_IN = 10.8  # 1080 px: a phone screen's width, so Telegram shows it without shrinking the text
PANEL_IN = 3.6
HEADER_IN = 1.1
FOOTER_IN = 0.75
PLOT_WIDTH_PX = 960  # roughly the data area; decimation keeps two points per column of it
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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
    # A kept figure keeps its canvas, and so its renderer: matplotlib caches text sizes per renderer, and
    # a new canvas per chart measured every label again.
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else agg_text.canvas(figure)
    canvas.draw()
    return encode_png(np.asarray(canvas.buffer_rgba())[:, :, :3])


def encode_png(rgb: npt.NDArray[np.uint8]) -> bytes:
    """An opaque 8-bit RGB PNG, every row unfiltered, zlib at its fastest level.

    Pillow tries PNG's row filters (sub, up, average, Paeth) on every row; on a chart's flat colours they
    shrink nothing (the same ~200 kB) yet cost three quarters of the encoding, itself a quarter of the chart.
    """
    height, width, _ = rgb.shape
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 0  # each row: filter type 0 (none), then its pixels
    # Copied once, straight from the canvas's RGBA into a view of the rows' pixels, one channel at a time:
    # numpy then runs along whole rows (1080 pixels) instead of three bytes at a time, ~3x faster.
    pixels = rows[:, 1:].reshape(height, width, 3)
    for channel in range(3):
        pixels[:, :, channel] = rgb[:, :, channel]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, truecolour, no interlace
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows, 1)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def period_text(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    fmt = "%d.%m.%Y %H:%M" if local_start.year != local_end.year else "%d.%m %H:%M"
    return f"{local_start.strftime(fmt)} – {local_end.strftime(fmt)}"


def number(value: float) -> str:
    """Short human form: 1234 → 1234, 21.456 → 21.5."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}"
