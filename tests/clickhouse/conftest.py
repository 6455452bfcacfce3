"""This package's own database and broker, the processor factories, and one ClickHouse (chdb) endpoint."""

from collections.abc import Iterator

import pytest

from sandbox.clickhouse_http import ClickHouseServer
from tests.kit.fixtures import *  # noqa: F403 - this package gets its own database and broker
from tests.processor.conftest import start_processor  # noqa: F401 - fixtures are found by name


@pytest.fixture(scope="package")
def clickhouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseServer]:
    server = ClickHouseServer(tmp_path_factory.mktemp("clickhouse"))
    server.start()
    yield server
    server.stop()
