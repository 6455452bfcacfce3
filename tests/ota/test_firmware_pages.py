"""/firmware lists a type's firmware a page at a time: dozens of versions stay within the 100 buttons."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import FirmwareSettings
from sandbox.botapi import BotApiDouble, BotMessage, TelegramUser
from tests.ota.helpers import stored_firmware

# Four buttons a draft: 26 drafts of one type would be 104 buttons in one keyboard.
VERSIONS = 30


async def test_an_operator_pages_through_thirty_versions_of_a_type_and_acts_on_the_oldest(
    tg: BotApiDouble,
    operator: TelegramUser,
    sessionmaker: async_sessionmaker[AsyncSession],
    firmware_settings: FirmwareSettings,
):
    stored = [
        await stored_firmware(sessionmaker, firmware_settings, content=b"image", device_type="temp")
        for _ in range(VERSIONS)
    ]
    newest, oldest = stored[-1].version, stored[0].version
    operator.drain()
    operator.send("/firmware")
    await operator.next_message()
    operator.press("temp")
    listing = await operator.next_message()
    assert f"{newest} — draft" in (listing.text or "") and oldest not in (listing.text or "")
    assert f"🐤 Canary {newest}" in _buttons(listing) and f"🐤 Canary {oldest}" not in _buttons(listing)

    pages = [listing]
    while "Next »" in _buttons(pages[-1]):
        operator.press("Next »")
        pages.append(await _edit(operator))
    assert len(pages) == 3
    assert f"{oldest} — draft" in (pages[-1].text or "")
    assert f"🗑 Withdraw {oldest}" in _buttons(pages[-1]) and "« Previous" in _buttons(pages[-1])
    shown = [version for page in pages for version in _versions(page)]
    assert shown == [info.version for info in reversed(stored)]  # each once, newest first

    operator.press(f"✅ {oldest} stable")
    after = await _edit(operator)
    assert f"{oldest} is stable" in (after.text or "") and f"{oldest} — stable" in (after.text or "")
    assert f"✅ {oldest} stable" not in _buttons(after) and f"🚀 All to {oldest}" in _buttons(after)


async def _edit(operator: TelegramUser) -> BotMessage:
    while True:
        message = await operator.next_message()
        if message.method.startswith("edit"):
            return message


def _buttons(message: BotMessage) -> list[str]:
    return [button["text"] for row in message.buttons for button in row]


def _versions(message: BotMessage) -> list[str]:
    lines = (message.text or "").splitlines()
    return [line.split("• ")[1].split(" — ")[0] for line in lines if line.startswith("• ")]
