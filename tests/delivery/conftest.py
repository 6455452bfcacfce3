"""Fixtures for delivery tests: the package's bot delivers the outbox. It runs no digest job (as in every
package): between 08:00 and 09:00 Moscow time it would send each new user with a device a morning digest, in
the middle of tests that count their notices; the digest tests run the job's body themselves."""

import pytest

from tests.kit.fixtures import *  # noqa: F403 - this package gets its own database, broker and bot
from tests.kit.fixtures import DELIVERING


@pytest.fixture(scope="package")
def bot_settings() -> dict[str, str]:
    return DELIVERING
