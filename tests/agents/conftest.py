"""Fixtures for this package: its own database and broker (see tests.kit.fixtures), and a real
`python -m processor` serving its HTTP side on a free port; tests that shrink the device budget use the
processor package's in-process `start_processor`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from sandbox.broker import Broker
from sandbox.ports import free_port
from sandbox.programs import ProcessorProcess
from tests.kit.fixtures import *  # noqa: F403 - fixtures are found by name
from tests.kit.wait import eventually
from tests.processor.conftest import start_processor  # noqa: F401 - the in-process processor, for budgets


@pytest.fixture
async def processor_url(database_url: str, broker: Broker, tmp_path: Path) -> AsyncIterator[str]:
    """The base URL of a running `python -m processor` (killed at the end)."""
    port = free_port()
    process = ProcessorProcess(database_url, broker, tmp_path, PROCESSOR_HTTP_PORT=str(port))
    await process.launch()
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


@pytest.fixture(scope="package")
def bot_settings() -> dict[str, str]:
    """This package's bot delivers the outbox: the owner's notices are what its tests watch."""
    return {"DELIVERY_ENABLED": "true"}
