"""Language: from the Telegram client at first, /language to change it; the command menu in both."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from sandbox.botapi import BotApiDouble
from tests.kit.sql import fetch


async def test_russian_client_is_answered_in_russian_and_can_switch(
    tg: BotApiDouble, engine: AsyncEngine
) -> None:
    masha = tg.user("Маша", language_code="ru")
    masha.send("/start")
    assert "Здравствуйте, Маша!" in ((await masha.next_message()).text or "")
    masha.send("/language")
    menu = await masha.next_message()
    assert menu.text == "Выберите язык:"
    assert menu.button_texts == ["🇬🇧 English", "🇷🇺 Русский"]
    masha.press("🇬🇧 English")
    assert (await masha.next_message()).text == "✅ I will speak English from now on."
    await masha.next_answer()
    assert await fetch(engine, "SELECT language FROM users WHERE telegram_id = :id", id=masha.id) == [("en",)]
    masha.send("/help")
    assert "What I can do" in ((await masha.next_message()).text or "")


async def test_other_languages_get_english(tg: BotApiDouble, engine: AsyncEngine) -> None:
    hans = tg.user("Hans", language_code="de")
    hans.send("/help")
    assert "What I can do" in ((await hans.next_message()).text or "")
    assert await fetch(engine, "SELECT language FROM users WHERE telegram_id = :id", id=hans.id) == [("en",)]


async def test_english_user_switches_to_russian(tg: BotApiDouble) -> None:
    john = tg.user("John")
    john.send("/language")
    await john.next_message()
    john.press("🇷🇺 Русский")
    assert (await john.next_message()).text == "✅ Теперь я говорю по-русски."
    await john.next_answer()
    john.send("/status")
    assert "/add КОД" in ((await john.next_message()).text or "")


async def test_command_menu_is_set_in_both_languages(tg: BotApiDouble) -> None:
    english = {c["command"]: c["description"] for c in tg.commands[("default", "")]}
    russian = {c["command"]: c["description"] for c in tg.commands[("default", "ru")]}
    assert english["add"] == "Pair a device by its code"
    assert russian["add"] == "Привязать устройство по коду"
    assert (
        set(english)
        == set(russian)
        >= {"start", "help", "add", "devices", "select", "status", "share", "language"}
    )
