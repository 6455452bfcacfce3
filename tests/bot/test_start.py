"""Registration and the first contact."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from sandbox.botapi import BotApiDouble


async def test_start_registers_the_user_once_and_says_what_to_do(
    tg: BotApiDouble, engine: AsyncEngine
) -> None:
    alice = tg.user("Alice", language_code="en", username="alice")
    alice.send("/start")
    welcome = await alice.next_message()
    assert "Hello, Alice" in (welcome.text or "")
    assert "/add" in (welcome.text or "")

    alice.send("/start")
    again = await alice.next_message()
    assert "Hello, Alice" in (again.text or "")
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT language, timezone, is_active FROM users WHERE telegram_id = :id"),
                {"id": alice.id},
            )
        ).all()
    assert rows == [("en", "Europe/Moscow", True)]
