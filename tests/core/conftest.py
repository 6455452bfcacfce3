"""Fixtures for this package: its own database and broker (see tests.kit.fixtures)."""

from tests.kit.fixtures import *  # noqa: F403 - fixtures are found by name
