"""Fixtures for this package: its own database and broker (see tests.support.fixtures)."""

from tests.support.fixtures import *  # noqa: F403 - fixtures are found by name
