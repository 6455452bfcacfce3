"""Root fixtures. Every test package's conftest imports the same set again, to get its own instances."""

from tests.support.fixtures import *  # noqa: F403 - fixtures are found by name
