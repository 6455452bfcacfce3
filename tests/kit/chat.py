"""What a Telegram user does in the bot's chat, step by step, for tests that need it as a precondition."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sandbox.botapi import BotApiDouble, BotMessage, TelegramUser
from sandbox.seed import offer_device
from tests.kit.sql import device_id, user_id


async def started_user(
    tg: BotApiDouble, engine: AsyncEngine, name: str, language: str = "en"
) -> tuple[TelegramUser, int]:
    """A Telegram user who has sent /start: (the double's user, users.id)."""
    who = tg.user(name, language_code=language)
    who.send("/start")
    await who.next_message()
    return who, await user_id(engine, who)


async def pair(
    user: TelegramUser, sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> int:
    """Pair a fresh device to `user` through /add; returns its id."""
    uid, code = await offer_device(sessionmaker)
    user.send(f"/add {code}")
    reply = await user.next_message()
    assert "Paired" in (reply.text or "") or "Привязано" in (reply.text or ""), reply.text
    return await device_id(engine, uid)


async def owner_with_device(
    tg: BotApiDouble,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    name: str = "Olga",
    language: str = "en",
) -> tuple[TelegramUser, int, int]:
    """A user who paired a device with /add: (user, users.id, device id)."""
    who, uid = await started_user(tg, engine, name, language)
    return who, uid, await pair(who, sessionmaker, engine)


async def open_card(user: TelegramUser, device_name: str) -> BotMessage:
    """/devices, then the device's button: the card."""
    user.send("/devices")
    await user.next_message()
    user.press(_button_for(user, device_name))
    card = await user.next_message()
    await user.next_answer()
    return card


def _button_for(user: TelegramUser, device_name: str) -> str:
    for message in reversed(list(user.double.chat_messages(user.id).values())):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"].endswith(" " + device_name):
                    return str(button["text"])
    raise LookupError(device_name)


async def invite(owner: TelegramUser, device_name: str, role_button: str) -> str:
    """The owner's /share flow up to the invitation; returns the deep-link parameter (inv_<token>)."""
    owner.send("/share")
    await owner.next_message()
    owner.press(device_name)
    await owner.next_message()
    await owner.next_answer()
    owner.press(role_button)
    invitation = await owner.next_message()
    await owner.next_answer()
    link = str(invitation.button("Accept the invitation")["url"])
    assert link in (invitation.text or "")
    return link.split("?start=", 1)[1]


async def accept(member: TelegramUser, start_parameter: str) -> str:
    member.send(f"/start {start_parameter}")
    return (await member.next_message()).text or ""
