"""Fixtures for the device side: start the agent or the simulator as real processes, stopped afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.device.processes import Running, start
from tests.support.fixtures import *  # noqa: F403 - this package gets its own database and broker

Spawn = Callable[[str, list[str]], Running]


@pytest.fixture
async def spawn(tmp_path: Path) -> AsyncIterator[Spawn]:
    running: list[Running] = []

    def _spawn(module: str, args: list[str]) -> Running:
        process = start(module, args, tmp_path)
        running.append(process)
        return process

    yield _spawn
    for process in running:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait(timeout=10)
