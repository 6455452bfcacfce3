"""Fixtures for history, export and report tests: the package's own Bot API double with the real bot polling
it (`tg`, from tests.kit.fixtures)."""

from tests.kit.fixtures import *  # noqa: F403 - this package gets its own database, broker and bot
