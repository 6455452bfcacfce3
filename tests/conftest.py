"""Root fixtures. Every test package's conftest imports the same set again, to get its own instances."""

import asyncio
import os
from collections.abc import Generator

import asyncpg
import pytest

from sandbox import programs
from sandbox.database import drop_database
from sandbox.programs import Program
from tests.kit import forkserver
from tests.kit.fixtures import *  # noqa: F403 - fixtures are found by name
from tests.kit.fixtures import template_name
from tests.kit.scheduling import BotUnitScheduling

# Many bots and processors run side by side in a test run: each HTTP side takes any free port.
os.environ["BOT_HTTP_PORT"] = "0"
os.environ["PROCESSOR_HTTP_PORT"] = "0"


def pytest_configure(config: pytest.Config) -> None:
    """Names the run's template database, and the process whose end stops the run's fork server, now:
    before xdist starts its workers with this environment."""
    template_name()
    os.environ.setdefault(forkserver.RUN_PID, str(os.getpid()))
    programs.start_with(forkserver.start)


def pytest_unconfigure(config: pytest.Config) -> None:
    """The controller (or a run without workers) drops the run's template database, if one was built."""
    if hasattr(config, "workerinput"):
        return
    try:
        asyncio.run(drop_database(template_name()))
    except (OSError, asyncpg.PostgresError) as error:
        print(f"the template database was not dropped: {error!r}")  # noqa: T201 - the run's console


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> BotUnitScheduling | None:
    """Under `--dist loadgroup` (as ./start.sh test runs): tests.kit.scheduling's units."""
    if config.getvalue("dist") != "loadgroup":
        return None
    return BotUnitScheduling(config, log)  # type: ignore[arg-type]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report shows the end of its programs' consoles, as they saw it, and where each
    running bot's and processor's tasks wait (core.task_stacks), asked for then: a program that fell silent
    shows what it waits for."""
    report = yield
    if report.failed:
        funcargs = getattr(item, "funcargs", {}).items()
        named = {value: name for name, value in funcargs if isinstance(value, Program)}
        for program in {*named, *Program.running()}:
            name = named.get(program, program.module)
            report.sections.append((f"{name} console", program.tail()))
            if tasks := program.tell_tasks():
                report.sections.append((f"{name} tasks", tasks))
    return report
