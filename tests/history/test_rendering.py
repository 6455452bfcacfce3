"""The rendering pool: pictures come back from worker processes, and a dead worker does not end charts."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.workers.rendering.drawing import HistoryJob
from bot.workers.rendering.pool import Renderer
from core.services.history import ChartSettings, DeviceHistory, Sample
from tests.kit.wait import eventually

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


# A bot whose rendering pool is up writes its workers' pids to the file it is given, then waits to be killed.
_BOT_WITH_A_POOL = """
import asyncio, os, sys
from bot.workers.rendering.pool import Renderer

async def main():
    renderer = Renderer(workers=2)
    await renderer.start()
    loop = asyncio.get_running_loop()
    pids = await asyncio.gather(*(loop.run_in_executor(renderer._pool, os.getpid) for _ in range(8)))
    with open(sys.argv[1] + ".new", "w") as out:
        out.write(" ".join(str(pid) for pid in set(pids)))
    os.rename(sys.argv[1] + ".new", sys.argv[1])
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


async def test_a_killed_bot_leaves_no_rendering_processes_behind(tmp_path: Path) -> None:
    pids = tmp_path / "workers"
    bot = await asyncio.create_subprocess_exec(sys.executable, "-c", _BOT_WITH_A_POOL, str(pids))

    async def started() -> bool:
        return pids.exists()

    await eventually(started, within=120)
    workers = [int(pid) for pid in pids.read_text().split()]
    assert workers and all(_running(pid) for pid in workers)
    bot.kill()  # SIGKILL: no shutdown code of the bot runs
    await bot.wait()

    async def all_gone() -> bool:
        return not any(_running(pid) for pid in workers)

    await eventually(all_gone, within=30)
