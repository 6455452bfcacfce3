"""The rendering pool: pictures come back from worker processes, and a dead worker does not end charts."""

from __future__ import annotations

import asyncio
import io
import os
import signal
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from bot.workers.rendering.drawing import HistoryJob
from bot.workers.rendering.pool import Renderer
from core.services.history import ChartSettings, DeviceHistory, Sample

END = datetime(2026, 11, 23, 12, tzinfo=UTC)


def job() -> HistoryJob:
    samples = [Sample(END - timedelta(minutes=n), 600.0 + n) for n in range(120, 0, -1)]
    return HistoryJob(
        DeviceHistory(False, {"co2": samples}),
        ChartSettings("Kitchen", ("co2",), 30, 1000.0),
        END - timedelta(hours=2),
        END,
        "Europe/Moscow",
        "en",
    )


async def test_a_killed_worker_is_replaced_and_the_chart_still_drawn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    renderer = Renderer(workers=1)
    try:
        await renderer.start()
        # The worker's pid, asked of the worker itself; the test reaches into the pool for it on purpose.
        pid = await asyncio.get_running_loop().run_in_executor(renderer._pool, os.getpid)
        os.kill(pid, signal.SIGKILL)
        png = await renderer.history(job())
    finally:
        renderer.close()
    assert "rendering pool broken" in caplog.text
    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG"
    assert picture.width == 1080
