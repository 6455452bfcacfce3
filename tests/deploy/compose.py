"""Reading docker-compose.yml and the workflows as Compose and GitHub would, and validating them offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"


def load_yaml(path: Path) -> dict[str, Any]:
    """The document with anchors and `<<` merges resolved, as Compose resolves them."""
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    return document


def services() -> dict[str, dict[str, Any]]:
    return load_yaml(COMPOSE_FILE)["services"]


def check_schema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    """`check-jsonschema --builtin-schema <schema> <path>`: the vendored schemas work offline."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
