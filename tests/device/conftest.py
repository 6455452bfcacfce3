"""Fixtures for the device side: its own broker (see tests.kit.fixtures); `spawn` starts the programs."""

from tests.kit.fixtures import *  # noqa: F403 - fixtures are found by name
