"""The infrastructure fixtures every test package gets for itself: a database and a Mosquitto.

Each package's conftest imports them (`from tests.support.fixtures import *`): a package-scoped fixture lives
as long as the package whose conftest defines it, so each package gets a fresh database built by the real
`alembic upgrade head` and a fresh broker. Bots, processors and retained messages one package starts or
leaves behind therefore never deliver, count or answer in another package's database or broker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db import make_engine, make_sessionmaker
from tests.support.broker import Broker
from tests.support.database import alembic, create_database, drop_database

__all__ = ["broker", "database_url", "engine", "sessionmaker"]


@pytest.fixture(scope="package")
async def database_url() -> AsyncIterator[str]:
    """URL of a database created for this test package and dropped after it."""
    name, url = await create_database()
    result = alembic(url, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    yield url
    await drop_database(name)


@pytest.fixture(scope="package")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


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
