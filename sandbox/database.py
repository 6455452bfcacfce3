"""Private PostgreSQL databases, built by the real `alembic upgrade head` and dropped after use.

Many databases with the same schema (a test run's packages) are copied from one template instead:
`template_database` migrates it once, `cloned_database` copies it with CREATE DATABASE … TEMPLATE, which
takes well under a second where `alembic upgrade head` takes 10-40 s on a busy 2-core machine.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from pathlib import Path

import asyncpg

from core.retry import retry_call

ROOT = Path(__file__).resolve().parents[1]
# The server's maintenance database: private databases are created and dropped through it.
SERVER_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def url_for(name: str) -> str:
    """The URL of database `name` on the same server."""
    return SERVER_URL.rsplit("/", 1)[0] + "/" + name


async def create_database(prefix: str = "smartair_test") -> tuple[str, str]:
    """Create an empty database; return (name, asyncpg URL)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(SERVER_URL)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name, url_for(name)


async def migrated_database(prefix: str = "smartair_test") -> tuple[str, str]:
    """A new database with the whole schema (`alembic upgrade head`); (name, URL). Dropped again if the
    migration fails, with alembic's stderr in the error."""
    name, url = await create_database(prefix)
    result = alembic(url, "upgrade", "head")
    if result.returncode != 0:
        await drop_database(name)
        raise RuntimeError(f"alembic upgrade head failed:\n{result.stderr[-3000:]}")
    return name, url


async def template_database(name: str) -> str:
    """The database `name`, built by `alembic upgrade head` unless it exists already; its URL. Several
    processes may ask at once (a test run's workers): an advisory lock lets the first build it while the
    others wait, then find it. Nothing may stay connected to it, or it cannot be copied."""
    connection = await asyncpg.connect(SERVER_URL)
    try:
        await connection.execute("SELECT pg_advisory_lock(hashtext($1))", name)
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
            # In a thread: the caller's event loop may be serving others meanwhile (a Bot API double).
            result = await asyncio.to_thread(alembic, url_for(name), "upgrade", "head")
            if result.returncode != 0:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                raise RuntimeError(f"alembic upgrade head failed:\n{result.stderr[-3000:]}")
    finally:
        await connection.close()  # also releases the lock
    return url_for(name)


async def cloned_database(template: str, prefix: str = "smartair_test") -> tuple[str, str]:
    """A new database copied from `template` (see template_database); (name, URL)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(SERVER_URL)
    try:
        # In use: the template's builder has just disconnected and its backend may still be on its way out
        # (PostgreSQL waits 5 s for it before refusing).
        await retry_call(
            lambda: connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'),
            retry_on=(asyncpg.ObjectInUseError,),
            attempts=3,
        )
    finally:
        await connection.close()
    return name, url_for(name)


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
