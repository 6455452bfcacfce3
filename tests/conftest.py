"""Root fixtures. Every test package's conftest imports the same set again, to get its own instances."""

import os

from tests.support.fixtures import *  # noqa: F403 - fixtures are found by name

# Many bots and processors run side by side in a test run: each HTTP side takes any free port.
os.environ["BOT_HTTP_PORT"] = "0"
os.environ["PROCESSOR_HTTP_PORT"] = "0"
