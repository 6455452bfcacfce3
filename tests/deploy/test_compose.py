"""docker-compose.yml: valid Compose, real entry points, healthchecks, ordering, secrets (no Docker here)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import asyncpg

from core import web
from sandbox.database import create_database, drop_database
from sandbox.ports import free_port
from tests.deploy.compose import COMPOSE_FILE, ROOT, check_schema, services

OUR_IMAGE = "${SMARTAIR_IMAGE:-ghcr.io/smartair/smartair}:${SMARTAIR_TAG:-latest}"
REQUIRED_SECRETS = {"POSTGRES_PASSWORD", "MQTT_PASSWORD", "BOT_TOKEN"}


def _ours() -> dict[str, list[str]]:
    """Each service that runs our image, with its command."""
    return {name: svc["command"] for name, svc in services().items() if svc.get("image") == OUR_IMAGE}


def test_compose_file_follows_the_compose_specification() -> None:
    result = check_schema("vendor.compose-spec", COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_misspelt_dependency_condition(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE_FILE.read_text().replace("service_healthy", "service_healty", 1))
    result = check_schema("vendor.compose-spec", broken)
    assert result.returncode != 0
    assert "service_healty" in result.stdout


def test_every_program_service_runs_a_module_of_ours() -> None:
    commands = _ours()
    assert {"processor", "bot", "migrate", "mosquitto"} <= set(commands)
    for name, command in commands.items():
        if command[0] == "alembic":
            continue
        assert command[:2] == ["python", "-m"], name
        module = command[2]
        spec = importlib.util.find_spec(module)
        assert spec is not None, f"{name}: {module} does not exist"
        if spec.submodule_search_locations:  # a package runs its __main__
            assert importlib.util.find_spec(f"{module}.__main__") is not None, f"{name}: no {module}.__main__"


def test_broker_service_options_are_accepted_by_the_broker_entry_point() -> None:
    command = services()["mosquitto"]["command"]
    assert command[:3] == ["python", "-m", "processor.broker"]
    result = subprocess.run(
        [sys.executable, "-m", "processor.broker", "--help"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    for option in command[3:]:
        if option.startswith("--"):
            assert option in result.stdout, option


def test_broker_keeps_its_data_on_a_volume() -> None:
    """A processor outage's queued messages and the devices' accounts survive a new container."""
    broker = services()["mosquitto"]
    command = broker["command"]
    data = command[command.index("--data") + 1]
    mounts = {volume.split(":")[1] for volume in broker["volumes"]}
    assert data.rstrip("/") in mounts


async def test_migrate_service_command_builds_the_schema_on_an_empty_database() -> None:
    command = services()["migrate"]["command"]
    name, url = await create_database("smartair_compose")
    try:
        path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"  # the venv's alembic, as in the image
        env = {**os.environ, "DATABASE_URL": url, "PATH": path}
        result = await asyncio.to_thread(
            subprocess.run, command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        connection = await asyncpg.connect(url)
        try:
            assert await connection.fetchval("SELECT to_regclass('public.telemetry')") == "telemetry"
        finally:
            await connection.close()
    finally:
        await drop_database(name)


def test_programs_start_only_after_the_schema_is_migrated_and_their_dependencies_are_healthy() -> None:
    all_services = services()
    for name in ("processor", "bot"):
        depends = all_services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"
    assert all_services["processor"]["depends_on"]["mosquitto"]["condition"] == "service_healthy"
    for name, svc in all_services.items():
        for dependency, rule in svc.get("depends_on", {}).items():
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in all_services[dependency], f"{name} waits for {dependency}'s health"


def test_long_running_services_have_healthchecks_and_restart() -> None:
    for name, svc in services().items():
        if name == "migrate":
            assert svc["restart"] == "no"
            continue
        assert svc["healthcheck"]["test"][0] == "CMD", name
        assert svc["restart"] == "unless-stopped", name


def test_program_healthchecks_probe_the_programs_healthz() -> None:
    all_services = services()
    assert all_services["processor"]["healthcheck"]["test"][1:] == ["python", "-m", "core.probe", "processor"]
    assert all_services["bot"]["healthcheck"]["test"][1:] == ["python", "-m", "core.probe", "bot"]


async def test_probe_succeeds_while_healthz_answers_and_fails_when_it_does_not() -> None:
    def probe(port: int) -> int:
        env = {**os.environ, "PROCESSOR_HTTP_PORT": str(port)}
        command = [sys.executable, "-m", "core.probe", "processor"]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=False).returncode

    async with web.serving(web.new_app(), 0, host="127.0.0.1") as port:
        assert await asyncio.to_thread(probe, port) == 0
    assert await asyncio.to_thread(probe, free_port()) == 1


def test_a_missing_required_secret_stops_compose_with_its_name() -> None:
    text = COMPOSE_FILE.read_text()
    required = re.findall(r"\$\{(\w+):\?([^}]*)\}", text)
    assert {name for name, _ in required} == REQUIRED_SECRETS
    for name, message in required:
        assert name in message
    # Never a default or a bare reference for a required secret: that would start the stack without it.
    for name in REQUIRED_SECRETS:
        assert not re.search(rf"\$\{{{name}(:?-[^}}]*)?\}}", text), name


def test_no_secret_value_is_written_in_the_compose_file() -> None:
    for name, svc in services().items():
        for key, value in (svc.get("environment") or {}).items():
            if re.search(r"PASSWORD|TOKEN|SECRET|_KEY$", key):
                assert str(value).startswith("${"), f"{name}: {key} has a literal value"


def test_scale_profile_adds_redis_clickhouse_and_a_second_processor_in_the_shared_group() -> None:
    all_services = services()
    scaled = {name for name, svc in all_services.items() if "scale" in svc.get("profiles", [])}
    assert scaled == {"redis", "clickhouse", "processor-2"}
    first, second = all_services["processor"]["environment"], all_services["processor-2"]["environment"]
    assert first["MQTT_SHARED_GROUP"] == second["MQTT_SHARED_GROUP"]
    # Never empty by default: a plain subscriber beside the group would get every message as well.
    assert first["MQTT_SHARED_GROUP"]
    assert first["MQTT_CLIENT_ID"] != second["MQTT_CLIENT_ID"]
    assert all_services["processor-2"]["command"] == all_services["processor"]["command"]


def test_the_image_holds_every_package_of_ours_its_programs_import() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, flags=re.M))
    ours = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    imported: set[str] = set()
    for folder in copied & ours:
        for source in (ROOT / folder).rglob("*.py"):
            imported |= set(re.findall(r"^\s*(?:from|import) (\w+)", source.read_text(), flags=re.M))
    assert {"core", "processor", "bot"} <= copied
    assert imported & ours <= copied, f"imported but not in the image: {sorted((imported & ours) - copied)}"


def test_every_variable_the_compose_file_reads_is_in_env_example() -> None:
    used = set(re.findall(r"\$\{(\w+)", COMPOSE_FILE.read_text()))
    documented = set(re.findall(r"^(\w+)=", (ROOT / ".env.example").read_text(), flags=re.M))
    assert used <= documented, f"missing from .env.example: {sorted(used - documented)}"
