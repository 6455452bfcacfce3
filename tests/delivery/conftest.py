"""Fixtures for delivery tests: the package's bot delivers the outbox and queues digests."""

import pytest

from tests.kit.fixtures import *  # noqa: F403 - this package gets its own database, broker and bot
from tests.kit.fixtures import DELIVERING


@pytest.fixture(scope="package")
def bot_settings() -> dict[str, str]:
    return {**DELIVERING, "DIGEST_JOB_ENABLED": "true"}
