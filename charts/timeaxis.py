"""Ticks at round local times of the user's zone, computed directly: cheaper than matplotlib's locator."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.ticker import FixedFormatter, FixedLocator

# Steps in hours; the first giving at most MAX_TICKS ticks over the period wins.
STEPS_H = (1, 2, 3, 6, 12, 24, 48, 72, 168)
MAX_TICKS = 7


def local_ticks(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[datetime, str]]:
    """Tick instants (aware) and labels: whole local hours or local midnights, numeric formats only."""
    hours = (end - start).total_seconds() / 3600
    step = next((s for s in STEPS_H if hours / s <= MAX_TICKS), STEPS_H[-1])
    local = start.astimezone(zone)
    if step < 24:
        first = local.replace(minute=0, second=0, microsecond=0, tzinfo=None)
        first += timedelta(hours=(step - first.hour % step) % step)
    else:
        first = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    ticks: list[tuple[datetime, str]] = []
    wall = first
    while len(ticks) < 4 * MAX_TICKS:
        # Wall-clock arithmetic, then the zone: ticks stay on round local hours across DST changes.
        instant = wall.replace(tzinfo=zone)
        if instant > end:
            break
        if instant >= start:
            ticks.append((instant, _label(wall, step)))
        wall += timedelta(hours=step)
    return ticks


def _label(wall: datetime, step_h: int) -> str:
    if step_h >= 24 or (wall.hour == 0 and wall.minute == 0):
        return wall.strftime("%d.%m")
    return wall.strftime("%H:%M")


def local_time_axis(ax: Axes, zone: ZoneInfo, start: datetime, end: datetime) -> None:
    ticks = local_ticks(start, end, zone)
    ax.xaxis.set_major_locator(FixedLocator([mdates.date2num(t) for t, _ in ticks]))
    ax.xaxis.set_major_formatter(FixedFormatter([label for _, label in ticks]))
    ax.set_xlim(mdates.date2num(start), mdates.date2num(end))
