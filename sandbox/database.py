"""Private PostgreSQL databases, built by the real `alembic upgrade head` and dropped after use."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
# The server's maintenance database: private databases are created and dropped through it.
SERVER_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _url_for(name: str) -> str:
    return SERVER_URL.rsplit("/", 1)[0] + "/" + name


async def create_database(prefix: str = "smartair_test") -> tuple[str, str]:
    """Create an empty database; return (name, asyncpg URL)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(SERVER_URL)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name, _url_for(name)


async def migrated_database(prefix: str = "smartair_test") -> tuple[str, str]:
    """A new database with the whole schema (`alembic upgrade head`); (name, URL). Dropped again if the
    migration fails, with alembic's stderr in the error."""
    name, url = await create_database(prefix)
    result = alembic(url, "upgrade", "head")
    if result.returncode != 0:
        await drop_database(name)
        raise RuntimeError(f"alembic upgrade head failed:\n{result.stderr[-3000:]}")
    return name, url


async def drop_database(name: str) -> None:
    connection = await asyncpg.connect(SERVER_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def alembic(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real alembic command against `url`, as an operator would."""
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
