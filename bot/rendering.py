"""Chart and report rendering in a pool of worker processes, so the event loop never draws.

matplotlib holds the GIL for the whole ~0.3 s of a chart: drawn in the bot's process, twenty people asking
at once would stall every other update for seconds. The pool is created at start; jobs carry plain data
(picklable dataclasses) in and bytes out.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from charts import (
    AlertEntry,
    Bucket,
    DaySummary,
    History,
    MonthlyReport,
    Period,
    Point,
    for_language,
    history_chart,
    monthly_report,
)
from charts.series import Series
from core.services.history import ChartSettings, DeviceHistory, HourStats, Sample
from core.services.report import MonthData

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HistoryJob:
    data: DeviceHistory
    settings: ChartSettings
    start: datetime
    end: datetime
    tz_name: str
    language: str


def render_history(job: HistoryJob) -> bytes:
    """PNG of one device's history (runs in a worker process)."""
    history = History(
        device_name=job.settings.name,
        period=Period(job.start, job.end),
        tz_name=job.tz_name,
        series={metric: _series(values) for metric, values in job.data.series.items()},
        report_interval_s=job.settings.report_interval_s,
        co2_threshold=job.settings.co2_threshold,
    )
    return history_chart(history, for_language(job.language))


def _series(values: list[Sample] | list[HourStats]) -> Series:
    # One kind per series: the service returns all raw samples or all hourly buckets.
    if values and isinstance(values[0], HourStats):
        return [Bucket(v.ts, v.min, v.mean, v.max) for v in values if isinstance(v, HourStats)]
    return [Point(v.ts, v.value) for v in values if isinstance(v, Sample)]


def render_report(data: MonthData, language: str) -> bytes:
    """PDF of one device's month (runs in a worker process)."""
    report = MonthlyReport(
        device_name=data.device_name,
        year=data.year,
        month=data.month,
        tz_name=data.tz_name,
        days=[DaySummary(d.day, d.means, d.maxima, d.hours_above, d.uptime) for d in data.days],
        alerts=[AlertEntry(a.ts, a.kind, a.value, a.threshold) for a in data.alerts],
        co2_threshold=data.co2_threshold,
    )
    return monthly_report(report, for_language(language))


def _warm_up() -> None:
    """Each worker draws a tiny chart once: fonts and caches load before the first user waits for them."""
    end = datetime.now(UTC)
    render_history(
        HistoryJob(
            DeviceHistory(False, {"co2": [Sample(end - timedelta(minutes=1), 600.0), Sample(end, 610.0)]}),
            ChartSettings("SmartAir", ("co2",), 30, 1000.0),
            end - timedelta(minutes=2),
            end,
            "UTC",
            "en",
        )
    )


def default_workers() -> int:
    # One core stays with the event loop and PostgreSQL: a chart storm slows charts, not /status.
    return max(1, min(4, (os.cpu_count() or 2) - 1))


class Renderer:
    """The bot's rendering pool; `await renderer.history(job)` never blocks the event loop.

    `admission` bounds how many requests prepare a picture at once (database reads included). Drawing is
    limited to `workers` at a time anyway; without the bound, twenty simultaneous charts would take twenty
    database connections to load data that then waits in the pool's queue, and /status for everyone else
    would wait for a connection.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        # One request drawing and one loading its data per worker keeps the pool busy.
        self.admission = asyncio.Semaphore(2 * self.workers)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # forkserver, not fork: a worker must not inherit the bot's sockets, threads and event loop.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["bot.rendering"])
        return ProcessPoolExecutor(self.workers, mp_context=context, initializer=_warm_up)

    async def history(self, job: HistoryJob) -> bytes:
        return await self._run(render_history, job)

    async def report(self, data: MonthData, language: str) -> bytes:
        return await self._run(render_report, data, language)

    async def _run(self, function: Callable[..., bytes], *args: object) -> bytes:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the pool is unusable for good. Start a new one and
            # try once more; a second failure goes to the error handler like any other.
            logger.error("rendering pool broken, starting a new one function=%s", function.__name__)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)

    async def start(self) -> None:
        """Start every worker now (the pool would otherwise start them on the first requests)."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._pool, os.getpid) for _ in range(self.workers)))
        logger.info("rendering pool ready workers=%s", self.workers)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
