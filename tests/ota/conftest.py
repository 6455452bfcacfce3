"""OTA end to end: a real `python -m processor` (MQTT side and HTTP side), Mosquitto and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.services.ota import signing
from core.settings import FirmwareSettings
from sandbox.broker import Broker
from sandbox.ports import free_port
from sandbox.programs import ProcessorProcess
from tests.kit.fixtures import *  # noqa: F403 - this package gets its own database and broker
from tests.kit.fixtures import Processors
from tests.kit.wait import eventually


@pytest.fixture
def firmware_settings(tmp_path: Path) -> FirmwareSettings:
    return FirmwareSettings(
        FIRMWARE_SIGNING_KEY=SecretStr(signing.new_private_pem()), FIRMWARE_DIR=str(tmp_path / "firmware")
    )


class OtaProcessor:
    """`python -m processor` serving firmware on a free port, which a test may kill and start again."""

    def __init__(self, processors: Processors, firmware: FirmwareSettings) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: ProcessorProcess = processors(
            PROCESSOR_HTTP_PORT=str(self.port), PUBLIC_URL=self.url, FIRMWARE_DIR=firmware.firmware_dir
        )

    async def start(self) -> None:
        await self.process.launch()

        async def healthy() -> bool:
            try:
                async with aiohttp.ClientSession() as http, http.get(f"{self.url}/healthz") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False

        await eventually(healthy, 30)

    def kill(self) -> None:
        self.process.kill()


@dataclass
class Ota:
    """Everything an OTA test touches: the processor, the broker, the database, the firmware folder."""

    processor: OtaProcessor
    broker: Broker
    sessionmaker: async_sessionmaker[AsyncSession]
    firmware: FirmwareSettings
    database_url: str
    http: aiohttp.ClientSession


@pytest.fixture
async def ota(
    processors: Processors,
    broker: Broker,
    sessionmaker: async_sessionmaker[AsyncSession],
    firmware_settings: FirmwareSettings,
    database_url: str,
) -> AsyncIterator[Ota]:
    running = OtaProcessor(processors, firmware_settings)
    async with aiohttp.ClientSession() as http:
        yield Ota(running, broker, sessionmaker, firmware_settings, database_url, http)
