"""The real bot (`python -m bot`) as a child process, pointed at a Bot API double and a test database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sandbox.botapi import BotApiDouble

ROOT = Path(__file__).resolve().parents[2]


def bot_environment(double: BotApiDouble, database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "BOT_TOKEN": double.token,
        "TELEGRAM_API_URL": double.url,
        "DATABASE_URL": database_url,
        "TZ": "Europe/Moscow",
        "ADMIN_USER_IDS": "",
        # Several test bots (one per Bot API double) share one database: only a test that asks for it
        # delivers the outbox or queues digests, or rows of one test would go to another test's double.
        "DELIVERY_ENABLED": "false",
        "DIGEST_JOB_ENABLED": "false",
        **extra,
    }


async def start_bot(double: BotApiDouble, database_url: str, **extra: str) -> asyncio.subprocess.Process:
    """Start the bot and wait until it polls; its log goes to the test's stderr."""
    after = len(double.calls)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=bot_environment(double, database_url, **extra)
    )
    try:
        await double.wait_for_call("getUpdates", timeout=90, after=after)
    except TimeoutError:
        await stop_bot(process)
        raise
    return process


async def stop_bot(process: asyncio.subprocess.Process, grace: float = 15.0) -> int:
    """SIGTERM, as a container runtime would; returns the exit code (killing it if it hangs)."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            process.kill()
            await process.wait()
    return int(process.returncode or 0)
