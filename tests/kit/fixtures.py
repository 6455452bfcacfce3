"""The fixtures every test package gets for itself: a database, a Mosquitto, a Bot API double, the bot.

Each package's conftest imports them (`from tests.kit.fixtures import *`): a package-scoped fixture lives as
long as the package whose conftest defines it, so each package gets a fresh database (a copy of the run's
template, which the real `alembic upgrade head` built once), a fresh broker and, if its tests ask for
`tg`, its own Bot API double with the real `python -m bot` polling it. Bots, processors and retained
messages one package starts or leaves behind therefore never deliver, count or answer in another package's
database, broker or chats. A package changes the bot's settings by overriding the `bot_settings` fixture
in its conftest.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core import telemetry_store
from core.db import make_engine, make_sessionmaker
from sandbox.botapi import BotApiDouble
from sandbox.broker import Broker
from sandbox.database import cloned_database, drop_database, template_database
from sandbox.programs import BotProcess, ProcessorProcess, Program
from sandbox.seed import new_uid

__all__ = [
    "bot",
    "bot_api",
    "bot_class",
    "bot_settings",
    "broker",
    "database_url",
    "engine",
    "processor",
    "processors",
    "schema_template",
    "sessionmaker",
    "spawn",
    "telemetry_connection",
    "tg",
]

Spawn = Callable[[str, Sequence[str]], Program]
# A bot that delivers the outbox, with a short lease and timeout so a killed bot's rows come back within
# seconds, not a minute (for a package's `bot_settings`).
DELIVERING = {
    "DELIVERY_ENABLED": "true",
    "DELIVERY_LEASE_SECONDS": "8",
    "DELIVERY_REQUEST_TIMEOUT": "2",
    "DELIVERY_POLL_SECONDS": "0.5",
}
Processors = Callable[..., ProcessorProcess]
# Names this test run, so that its xdist workers (which inherit the controller's environment) share one
# template database; tests/conftest.py sets it and drops the template at the end.
TEST_RUN = "SMARTAIR_TEST_RUN"


def template_name() -> str:
    return f"smartair_template_{os.environ.setdefault(TEST_RUN, secrets.token_hex(4))}"


@pytest.fixture(scope="session")
async def schema_template() -> str:
    """The run's template database, migrated by `alembic upgrade head` by whichever worker needs it first."""
    await template_database(template_name())
    return template_name()


@pytest.fixture(scope="package")
async def database_url(schema_template: str) -> AsyncIterator[str]:
    """URL of a database created for this test package (a copy of the migrated template) and dropped after
    it."""
    name, url = await cloned_database(schema_template)
    yield url
    await drop_database(name)


@pytest.fixture(scope="package")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def telemetry_connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection ready for core.telemetry_store's batch writes (its staging table made)."""
    connection = await asyncpg.connect(database_url)
    await telemetry_store.prepare(connection)
    yield connection
    await connection.close()


@pytest.fixture(scope="package")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture(scope="package")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A Mosquitto of our own, configured by the product's mosquitto/mosquitto.conf."""
    broker = Broker(workdir=Path(tmp_path_factory.mktemp("mosquitto")))
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="package")
async def bot_api() -> AsyncIterator[BotApiDouble]:
    """The local Bot API server the package's bot talks to; tests act as Telegram users through it."""
    api = BotApiDouble()
    await api.start()
    yield api
    await api.close()


@pytest.fixture(scope="package")
def bot_settings() -> dict[str, str]:
    """Environment for the package's bot over sandbox.programs' defaults; a conftest overrides it."""
    return {}


@pytest.fixture(scope="package")
def bot_class() -> type[BotProcess]:
    """The class that runs the package's bot; a package whose tests drive more of it overrides it (billing's
    BillingBot also runs `python -m bot.jobs`)."""
    return BotProcess


@pytest.fixture(scope="package")
async def bot(
    bot_api: BotApiDouble,
    database_url: str,
    bot_settings: dict[str, str],
    bot_class: type[BotProcess],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[BotProcess]:
    """`python -m bot` polling the package's Bot API double; a test may stop, kill or restart it."""
    process = bot_class(bot_api, database_url, tmp_path_factory.mktemp("bot"), **bot_settings)
    await process.launch()
    yield process
    if process.alive:
        await process.stop()


@pytest.fixture
async def tg(bot_api: BotApiDouble, bot: BotProcess) -> BotApiDouble:
    """The Bot API double with the bot polling it. Each test makes its own users. A bot an earlier test
    stopped on purpose is started again; one that died fails the test."""
    if not bot.alive:
        assert bot.stopped, f"the bot died\n{bot.tail()}"
        await bot.launch()
    return bot_api


@pytest.fixture
def processors(database_url: str, broker: Broker, tmp_path: Path) -> Iterator[Processors]:
    """Makes `python -m processor` runs (not started) on this package's database and broker; any still
    running after the test are killed."""
    made: list[ProcessorProcess] = []

    def make(client_id: str = "", **settings: str) -> ProcessorProcess:
        process = ProcessorProcess(database_url, broker, tmp_path, client_id or new_uid("proc"), **settings)
        made.append(process)
        return process

    yield make
    for process in made:
        process.kill()


@pytest.fixture
async def processor(processors: Processors) -> ProcessorProcess:
    """One `python -m processor`, connected."""
    process = processors()
    await process.launch()
    return process


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Starts `python -m MODULE ARGS` (the device agent, the simulator…); any still running after the test
    are killed."""
    running: list[Program] = []

    def start(module: str, args: Sequence[str]) -> Program:
        program = Program(module, tmp_path, args)
        program.start()
        running.append(program)
        return program

    yield start
    for program in running:
        program.kill()
