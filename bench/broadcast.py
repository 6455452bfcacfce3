"""Broadcast benchmark (SPEC section 9): messages/s to N users (10 000 by default) through the sandbox's Bot
API server enforcing Telegram's limit (≈ 30 messages/s overall, 429 with retry_after beyond it), beside that
limit; then how many recipients got it twice or not at all after the bot was killed (SIGKILL) in the middle.

    .venv/bin/python -m bench.broadcast [--users 10000] [--kill-at 0.5]

Everything runs for this run only: its own database (real alembic schema), Bot API server and `python -m bot`
(the real bot, delivering through its outbox worker). The operator composes the broadcast through the bot,
as in Telegram. The kill lands wherever the bot happens to be, including the documented window between
Telegram's answer and the commit of `sent` (core.services.broadcast): a duplicate there is counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import asyncpg

from bench.report import Row, print_table
from sandbox.botapi import BotApiServer, TelegramUser
from sandbox.database import drop_database, migrated_database
from sandbox.limits import FLOOD_RATE
from sandbox.ports import free_port
from sandbox.programs import BotProcess

TEXT = "SmartAir maintenance tonight 02:00–02:30 UTC: readings are kept, charts may lag."
TARGET_RATE = 25.0


class Bench:
    def __init__(self, users: int) -> None:
        self.server = BotApiServer()
        self.users = users
        self.operator: TelegramUser | None = None
        self.recipients: list[int] = []
        self.database_url = ""
        self.database_name = ""
        self.bot: BotProcess | None = None
        self._scanned = 0
        self._received: Counter[int] = Counter()

    async def setup(self) -> None:
        await self.server.start()
        self.database_name, self.database_url = await migrated_database("smartair_bench")
        self.operator = self.server.user("Operator")
        self.recipients = [self.server.user(f"User{n}").id for n in range(self.users)]
        connection = await asyncpg.connect(self.database_url)
        try:
            await connection.execute(
                "INSERT INTO users (telegram_id, first_name) SELECT unnest($1::bigint[]), 'bench'",
                self.recipients,
            )
        finally:
            await connection.close()

    async def start_bot(self) -> None:
        assert self.operator is not None
        if self.bot is None:
            settings = {
                "DELIVERY_ENABLED": "true",
                "DELIVERY_LEASE_SECONDS": "10",
                "DELIVERY_REQUEST_TIMEOUT": "3",
                "ADMIN_USER_IDS": str(self.operator.id),
                "BOT_HTTP_PORT": str(free_port()),
            }
            workdir = Path(tempfile.mkdtemp(prefix="smartair-bench-broadcast-"))
            self.bot = BotProcess(self.server, self.database_url, workdir, **settings)
        await self.bot.launch()

    async def kill_bot(self) -> None:
        assert self.bot is not None
        self.bot.kill()

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.stop()

    async def compose(self) -> None:
        """/broadcast → text → all active users → Send, as the operator does in Telegram."""
        operator = self.operator
        assert operator is not None
        operator.send("/broadcast")
        await operator.next_message(timeout=30)
        operator.send(TEXT)
        await operator.next_message(timeout=30)
        operator.press("👥 All active users")
        await operator.next_message(timeout=30)  # the preview
        await operator.next_message(timeout=30)  # the confirmation
        operator.press("✅ Send")

    def accepted(self) -> Counter[int]:
        """Recipients by how many times Telegram took the broadcast for them, from calls not read before.

        Incremental: the server runs in this process, and rescanning every call would stall its answers.
        """
        wanted = set(self.recipients)
        calls = self.server.calls
        for call in calls[self._scanned : len(calls)]:
            if (
                call.method == "sendMessage"
                and call.error is None
                and call.params.get("text") == TEXT
                and int(call.params["chat_id"]) in wanted
            ):
                self._received[int(call.params["chat_id"])] += 1
        self._scanned = len(calls)
        return self._received

    def refused(self) -> int:
        return sum(1 for call in self.server.calls if call.method == "sendMessage" and call.error == 429)

    async def wait_for(self, count: int, within: float) -> None:
        deadline = time.monotonic() + within
        while sum(self.accepted().values()) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {sum(self.accepted().values())} of {count} sent within {within} s")
            await asyncio.sleep(0.5)

    async def finished(self, within: float) -> None:
        deadline = time.monotonic() + within
        connection = await asyncpg.connect(self.database_url)
        try:
            while await connection.fetchval("SELECT count(*) FROM broadcasts WHERE status = 'sending'"):
                if time.monotonic() > deadline:
                    raise RuntimeError("the broadcast did not finish")
                await asyncio.sleep(1)
        finally:
            await connection.close()

    async def close(self) -> None:
        await self.stop_bot()
        await self.server.close()
        if self.database_name:
            await drop_database(self.database_name)


def _sending_times(bench: Bench) -> list[float]:
    wanted = set(bench.recipients)
    return [
        call.at
        for call in bench.server.calls
        if call.method == "sendMessage"
        and call.error is None
        and call.params.get("text") == TEXT
        and int(call.params["chat_id"]) in wanted
    ]


async def run(users: int, kill_at: float) -> None:
    bench = Bench(users)
    try:
        await bench.setup()
        await bench.start_bot()
        await bench.compose()
        await bench.wait_for(1, within=60)
        await bench.wait_for(int(users * kill_at), within=users / 10 + 120)
        before_kill = _sending_times(bench)
        await bench.kill_bot()
        killed_at = time.monotonic()
        await bench.start_bot()
        restarted_at = time.monotonic()
        await bench.finished(within=users / 10 + 300)
        times = _sending_times(bench)
        received = bench.accepted()
    finally:
        await bench.close()

    first_run = (len(before_kill) - 1) / (before_kill[-1] - before_kill[0])
    after = [moment for moment in times if moment > restarted_at]
    second_run = (len(after) - 1) / (after[-1] - after[0]) if len(after) > 1 else float("nan")
    overall = len(times) / (times[-1] - times[0])
    duplicates = sum(count - 1 for count in received.values() if count > 1)
    gaps = users - len(received)
    print(
        f"broadcast to {users} users; bot killed (SIGKILL) after {len(before_kill)} sends, back after "
        f"{restarted_at - killed_at:.0f} s (restart; its leased rows returned after the lease)"
    )
    print(f"429 answers from the Bot API server (flood control): {bench.refused()}")
    print_table(
        [
            Row(
                "messages/s before the kill",
                first_run,
                "msg/s",
                ("Telegram's limit", FLOOD_RATE),
                f"≥ {TARGET_RATE:.0f}",
                first_run >= TARGET_RATE,
            ),
            Row(
                "messages/s after the restart",
                second_run,
                "msg/s",
                ("Telegram's limit", FLOOD_RATE),
                f"≥ {TARGET_RATE:.0f}",
                second_run >= TARGET_RATE,
            ),
            Row(
                "messages/s overall (kill and restart included)",
                overall,
                "msg/s",
                ("Telegram's limit", FLOOD_RATE),
            ),
            Row("recipients who got it twice", duplicates, "", target="0", met=duplicates == 0),
            Row("recipients who never got it", gaps, "", target="0", met=gaps == 0),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction sent when the bot is killed")
    arguments = parser.parse_args()
    os.environ.setdefault("TZ", "Europe/Moscow")
    asyncio.run(run(arguments.users, arguments.kill_at))


if __name__ == "__main__":
    main()
