"""OTA end to end: a real `python -m processor` (MQTT side and HTTP side), Mosquitto and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.services.ota import signing
from core.settings import FirmwareSettings
from sandbox.botapi import BotApiDouble, TelegramUser
from sandbox.broker import Broker
from sandbox.ports import free_port
from sandbox.programs import ProcessorProcess
from tests.kit.fixtures import *  # noqa: F403 - this package gets its own database and broker
from tests.kit.fixtures import Processors
from tests.kit.wait import eventually


@pytest.fixture(scope="package")
def firmware_settings(tmp_path_factory: pytest.TempPathFactory) -> FirmwareSettings:
    """One signing key and firmware folder for the package: the bot writes there, processors serve it."""
    return FirmwareSettings(
        FIRMWARE_SIGNING_KEY=SecretStr(signing.new_private_pem()),
        FIRMWARE_DIR=str(tmp_path_factory.mktemp("firmware")),
    )


@pytest.fixture(scope="package")
def operator(bot_api: BotApiDouble) -> TelegramUser:
    """The one Telegram user in ADMIN_USER_IDS."""
    return bot_api.user("Opal", username="opal_ops")


@pytest.fixture(scope="package")
def bot_settings(operator: TelegramUser, firmware_settings: FirmwareSettings) -> dict[str, str]:
    return {
        "ADMIN_USER_IDS": str(operator.id),
        "FIRMWARE_SIGNING_KEY": firmware_settings.firmware_signing_key.get_secret_value(),
        "FIRMWARE_DIR": firmware_settings.firmware_dir,
    }


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
