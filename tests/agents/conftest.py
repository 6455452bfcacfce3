"""Fixtures for this package: its own database and broker (see tests.support.fixtures), and a real
`python -m processor` serving its HTTP side on a free port."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.processor.helpers import ProcessorProcess, eventually, new_uid
from tests.support.broker import Broker
from tests.support.fixtures import *  # noqa: F403 - fixtures are found by name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def processor_url(database_url: str, broker: Broker, tmp_path: Path) -> AsyncIterator[str]:
    """The base URL of a running `python -m processor` (killed at the end)."""
    port = _free_port()
    process = ProcessorProcess(
        database_url, broker, new_uid("proc"), tmp_path / "processor.log", PROCESSOR_HTTP_PORT=str(port)
    )
    process.start()
    await process.wait_connected(within=60)
    url = f"http://127.0.0.1:{port}"

    async def healthy() -> bool:
        try:
            async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    await eventually(healthy, 30)
    yield url
    process.kill()
