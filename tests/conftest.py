"""Fixtures every test package gets: a private database (real alembic schema) and a private Mosquitto.

Both are per test package: bots, processors and retained messages one package starts or leaves behind must not
deliver, count or answer in another package's database or broker. Each package passes alone and in the suite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db import make_engine, make_sessionmaker
from tests.support.broker import Broker
from tests.support.database import alembic, create_database, drop_database


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
    """A Mosquitto of our own, configured by the product's mosquitto/mosquitto.conf.

    One per test package: retained messages and queued sessions one package leaves behind (simulated fleets'
    Last Wills, say) must not show up in another package's counters.
    """
    broker = Broker(workdir=Path(tmp_path_factory.mktemp("mosquitto")))
    broker.start()
    yield broker
    broker.stop()
