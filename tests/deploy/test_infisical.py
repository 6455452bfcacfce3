"""Infisical: each program loads its secrets at start (environment first); any failure is one clear line."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator

import pytest

from core import web
from sandbox.botapi import BotApiDouble
from sandbox.infisical import InfisicalDouble
from sandbox.ports import free_port
from sandbox.programs import bot_settings
from tests.deploy.compose import ROOT
from tests.kit.forkserver import run_to_end


@pytest.fixture
async def infisical() -> AsyncIterator[InfisicalDouble]:
    double = InfisicalDouble(secrets={})
    await double.start()
    yield double
    await double.close()


def _without_infisical(env: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if not name.startswith("INFISICAL_")}


async def _run(module: str, env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run `python -m module` to its end; its exit code and stderr."""
    finished = await run_to_end(module, *args, env=env)
    return finished.returncode, finished.stderr


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


async def test_bot_polls_telegram_with_the_token_it_loaded_from_infisical(
    infisical: InfisicalDouble, bot_api: BotApiDouble, database_url: str
) -> None:
    infisical.secrets["BOT_TOKEN"] = bot_api.token
    env = _without_infisical({**os.environ, **bot_settings(bot_api, database_url)})
    del env["BOT_TOKEN"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env={**env, **infisical.environment_for_programs()}
    )
    try:
        await bot_api.wait_for_call("getUpdates", timeout=90)
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 30) == 0
    assert infisical.requests[:2] == ["login", "list"]


async def test_the_environment_wins_over_infisical(infisical: InfisicalDouble) -> None:
    async with web.serving(web.new_app(), 0, host="127.0.0.1") as serving_port:
        infisical.secrets["PROCESSOR_HTTP_PORT"] = str(serving_port)
        env = {**_without_infisical(dict(os.environ)), **infisical.environment_for_programs()}
        env.pop("PROCESSOR_HTTP_PORT", None)
        # Only Infisical knows the port: the healthcheck finds the program there.
        assert (await _run("core.probe", env, "processor"))[0] == 0
        # The environment names another port: it wins, and nothing answers there.
        assert (await _run("core.probe", {**env, "PROCESSOR_HTTP_PORT": str(free_port())}, "processor"))[
            0
        ] == 1


async def test_a_wrong_credential_stops_the_program_with_one_line_and_no_secret(
    infisical: InfisicalDouble,
) -> None:
    wrong = "not-the-secret-" + infisical.client_secret[:8]
    env = {**_without_infisical(dict(os.environ)), **infisical.environment_for_programs()}
    env["INFISICAL_CLIENT_SECRET"] = wrong
    code, stderr = await _run("processor", env)
    line = _one_line(stderr)
    assert code == 2
    assert "Infisical" in line
    assert "Invalid credentials" in line
    assert wrong not in stderr
    assert infisical.client_secret not in stderr


async def test_an_unreachable_infisical_stops_the_program_with_one_line_naming_it() -> None:
    address = f"http://127.0.0.1:{free_port()}"
    env = {**_without_infisical(dict(os.environ)), **InfisicalDouble({}).environment_for_programs()}
    env["INFISICAL_SITE_URL"] = address
    code, stderr = await _run("processor", env)
    line = _one_line(stderr)
    assert code == 2
    assert f"Infisical at {address}" in line
    assert "Connection refused" in line


async def test_an_unknown_environment_stops_the_program_with_one_line(infisical: InfisicalDouble) -> None:
    env = {**_without_infisical(dict(os.environ)), **infisical.environment_for_programs()}
    env["INFISICAL_ENVIRONMENT"] = "staging"
    code, stderr = await _run("processor", env)
    line = _one_line(stderr)
    assert code == 2
    assert "Infisical" in line
    assert "not found" in line


async def test_an_incomplete_infisical_configuration_names_what_is_missing() -> None:
    env = {**_without_infisical(dict(os.environ)), "INFISICAL_CLIENT_ID": "smartair-identity"}
    code, stderr = await _run("processor", env)
    line = _one_line(stderr)
    assert code == 2
    for name in ("INFISICAL_CLIENT_SECRET", "INFISICAL_PROJECT_ID", "INFISICAL_ENVIRONMENT"):
        assert name in line
