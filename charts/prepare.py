"""Series → plot-ready arrays: matplotlib date numbers, NaN breaks at outages, min/max decimation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from charts.series import BUCKET_WIDTH, Bucket, Point, Series

Array = npt.NDArray[np.float64]
SECONDS_PER_DAY = 86400.0
# As the offline rule of SPEC section 5: 3 report intervals, at least 90 s.
MISSED_REPORTS = 3
MIN_OUTAGE_S = 90.0


@dataclass(frozen=True, slots=True)
class Line:
    """Arrays ready for plotting; NaN entries break the line. `low`/`high` are set for bucketed data."""

    x: Array  # matplotlib date numbers (days since 1970-01-01 UTC)
    y: Array
    low: Array | None
    high: Array | None
    gaps: list[tuple[float, float]]  # outages as (from, to) in date numbers
    count: int  # readings behind the line, before decimation


def to_days(seconds: Array) -> Array:
    return seconds / SECONDS_PER_DAY


def outage_after_s(series: Series, report_interval_s: float) -> float:
    """The silence that counts as an outage: longer for hourly buckets, one missing hour at least."""
    silence = max(MISSED_REPORTS * report_interval_s, MIN_OUTAGE_S)
    if series and isinstance(series[0], Bucket):
        return max(silence, 1.5 * BUCKET_WIDTH.total_seconds())
    return silence


def prepare(series: Series, report_interval_s: float, width_px: int) -> Line:
    """Arrays for one series, at most about two points per pixel column, never bridging an outage."""
    outage_s = outage_after_s(series, report_interval_s)
    if series and isinstance(series[0], Bucket):
        return _prepare_buckets(cast(Sequence[Bucket], series), outage_s)
    points = cast(Sequence[Point], series)
    t = np.fromiter((p.ts.timestamp() for p in points), dtype=np.float64, count=len(points))
    v = np.fromiter((p.value for p in points), dtype=np.float64, count=len(points))
    t, (v,) = _clean(t, v)
    return _prepare_points(t, v, outage_s, width_px)


def _clean(t: Array, *columns: Array) -> tuple[Array, list[Array]]:
    """Oldest first, without readings that have no finite value (a sensor that reported null or NaN)."""
    keep = np.all([np.isfinite(c) for c in columns], axis=0) if len(t) else np.ones(0, dtype=bool)
    t, kept = t[keep], [c[keep] for c in columns]
    if len(t) > 1 and np.any(np.diff(t) < 0):
        order = np.argsort(t, kind="stable")
        t, kept = t[order], [c[order] for c in kept]
    return t, kept


def _breaks(t: Array, outage_s: float) -> npt.NDArray[np.bool_]:
    """True at index i when the silence between reading i-1 and i is an outage."""
    gap = np.zeros(t.shape, dtype=bool)
    gap[1:] = np.diff(t) > outage_s
    return gap


def _gap_spans(t: Array, gap: npt.NDArray[np.bool_]) -> list[tuple[float, float]]:
    idx = np.flatnonzero(gap)
    return [(float(to_days(t[i - 1])), float(to_days(t[i]))) for i in idx]


def _prepare_points(t: Array, v: Array, outage_s: float, width_px: int) -> Line:
    count = len(v)
    gap = _breaks(t, outage_s)
    spans = _gap_spans(t, gap)
    if len(t) > 2 * width_px:
        t, v, gap = _decimate(t, v, gap, width_px)
    x, (y,) = _insert_breaks(to_days(t), gap, v)
    return Line(x=x, y=y, low=None, high=None, gaps=spans, count=count)


def _prepare_buckets(buckets: Sequence[Bucket], outage_s: float) -> Line:
    t = np.array([b.ts.timestamp() for b in buckets], dtype=np.float64)
    # A bucket stands for its whole hour: draw it at the middle of the hour.
    t = t + BUCKET_WIDTH.total_seconds() / 2
    columns = [
        np.array([getattr(b, name) for b in buckets], dtype=np.float64) for name in ("mean", "min", "max")
    ]
    t, columns = _clean(t, *columns)
    gap = _breaks(t, outage_s)
    x, (mean, low, high) = _insert_breaks(to_days(t), gap, *columns)
    return Line(x=x, y=mean, low=low, high=high, gaps=_gap_spans(t, gap), count=len(t))


def _decimate(
    t: Array, v: Array, gap: npt.NDArray[np.bool_], width_px: int
) -> tuple[Array, Array, npt.NDArray[np.bool_]]:
    """Keep each pixel column's minimum and maximum, so peaks survive and the drawing stays cheap.

    Columns never straddle an outage: the segment number is part of the grouping key.
    """
    span = max(t[-1] - t[0], 1.0)
    column = np.minimum(((t - t[0]) / span * width_px).astype(np.int64), width_px - 1)
    segment = np.cumsum(gap)
    key = segment * (width_px + 1) + column
    starts = np.flatnonzero(np.r_[True, np.diff(key) != 0])
    ends = np.r_[starts[1:], len(t)] - 1
    lows = np.minimum.reduceat(v, starts)
    highs = np.maximum.reduceat(v, starts)
    out_t = np.column_stack([t[starts], t[ends]]).ravel()
    out_v = np.column_stack([lows, highs]).ravel()
    group_gap = np.r_[False, np.diff(segment[starts]) != 0]
    out_gap = np.column_stack([group_gap, np.zeros_like(group_gap)]).ravel()
    return out_t, out_v, out_gap


def _insert_breaks(x: Array, gap: npt.NDArray[np.bool_], *columns: Array) -> tuple[Array, list[Array]]:
    """A NaN before each point that follows an outage: matplotlib lifts the pen there."""
    idx = np.flatnonzero(gap)
    if not len(idx):
        return x, list(columns)
    # The NaN point sits between the two readings so date axes stay monotonic.
    mid = (x[idx - 1] + x[idx]) / 2
    return np.insert(x, idx, mid), [np.insert(c, idx, np.nan) for c in columns]
