"""GitHub workflows: valid for GitHub, running the README's commands, taking secrets only from Infisical."""

from __future__ import annotations

import re
from pathlib import Path

from tests.deploy.compose import ROOT, check_schema, load_yaml

WORKFLOWS = ROOT / ".github" / "workflows"


def _readme_command(verb: str) -> str:
    """The command the README gives for `verb` in its "Two commands" block or its list of other verbs."""
    readme = (ROOT / "README.md").read_text()
    found = re.search(rf"^(\./start\.sh {verb})\b", readme, flags=re.M) or re.search(
        rf"`(\./start\.sh {verb})`", readme
    )
    assert found, f"README gives no ./start.sh {verb}"
    return found.group(1)


def _runs(workflow: str) -> list[str]:
    jobs = load_yaml(WORKFLOWS / workflow)["jobs"]
    return [step["run"] for job in jobs.values() for step in job["steps"] if "run" in step]


def _uses(workflow: str) -> list[dict]:
    jobs = load_yaml(WORKFLOWS / workflow)["jobs"]
    return [step for job in jobs.values() for step in job["steps"] if "uses" in step]


def test_workflows_follow_githubs_workflow_schema() -> None:
    for path in (WORKFLOWS / "ci.yml", WORKFLOWS / "deploy.yml"):
        result = check_schema("vendor.github-workflows", path)
        assert result.returncode == 0, path.name + result.stdout + result.stderr


def test_schema_check_rejects_a_job_without_a_runner(tmp_path: Path) -> None:
    broken = tmp_path / "ci.yml"
    broken.write_text((WORKFLOWS / "ci.yml").read_text().replace("runs-on:", "runs_on:"))
    assert check_schema("vendor.github-workflows", broken).returncode != 0


def test_ci_runs_the_readmes_lint_and_test_commands() -> None:
    runs = _runs("ci.yml")
    assert _readme_command("test") in runs
    assert _readme_command("lint") in runs


def test_ci_gives_the_tests_postgresql_and_mosquitto() -> None:
    job = load_yaml(WORKFLOWS / "ci.yml")["jobs"]["test"]
    assert job["services"]["postgres"]["env"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    assert "5432:5432" in job["services"]["postgres"]["ports"]
    assert "mosquitto" in job["services"]
    # The tests start private brokers of their own from the shipped configuration: the binary must be there.
    assert any("apt-get install" in run and "mosquitto" in run for run in _runs("ci.yml"))


def test_deploy_runs_on_version_tags_only() -> None:
    triggers = load_yaml(WORKFLOWS / "deploy.yml")[True]  # YAML 1.1 reads the key `on` as a boolean
    assert set(triggers) == {"push"}
    assert set(triggers["push"]) == {"tags"}


def test_deploy_pushes_the_image_then_pulls_and_restarts_the_stack_over_ssh() -> None:
    jobs = load_yaml(WORKFLOWS / "deploy.yml")["jobs"]
    assert jobs["deploy"]["needs"] == "image"
    push = next(step for step in _uses("deploy.yml") if step["uses"].startswith("docker/build-push-action@"))
    assert push["with"]["push"] is True
    remote = "\n".join(_runs("deploy.yml"))
    assert "docker compose pull && docker compose up -d" in remote
    assert "ssh " in remote


def test_deploy_takes_every_secret_from_infisical_and_stores_none() -> None:
    infisical = [step for step in _uses("deploy.yml") if step["uses"].startswith("Infisical/secrets-action@")]
    assert infisical
    for step in infisical:
        assert step["with"]["method"] == "oidc"  # GitHub's short-lived token: no stored credential
    for name in ("ci.yml", "deploy.yml"):
        text = (WORKFLOWS / name).read_text()
        assert set(re.findall(r"secrets\.(\w+)", text)) <= {"GITHUB_TOKEN"}, name
