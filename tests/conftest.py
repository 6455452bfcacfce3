"""Root fixtures. Every test package's conftest imports the same set again, to get its own instances."""

import os
from collections.abc import Generator

import pytest

from sandbox.programs import Program
from tests.kit.fixtures import *  # noqa: F403 - fixtures are found by name

# Many bots and processors run side by side in a test run: each HTTP side takes any free port.
os.environ["BOT_HTTP_PORT"] = "0"
os.environ["PROCESSOR_HTTP_PORT"] = "0"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report shows the end of the bot's and the processor's console, as they saw it."""
    report = yield
    if report.failed:
        for name, value in getattr(item, "funcargs", {}).items():
            if isinstance(value, Program):
                report.sections.append((f"{name} console", value.tail()))
    return report
