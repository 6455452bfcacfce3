"""The sandbox in a real browser (Debian's Chromium driven by Playwright): a person tries SmartAir end to end.

Everything is the real program: `python -m sandbox`, `python -m bot` pointed at it, `python -m processor`, and
`python -m device.simulate --provision --sandbox URL` showing its pairing codes on the page's device panel.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from sandbox.broker import Broker
from sandbox.programs import ROOT
from tests.sandbox.stack import Stack

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WAIT_MS = 45_000  # generous: two cores shared by every process of the stack and the browser
# Where the run leaves its screenshot of the chat with a chart (an artifact for people to look at).
SCREENSHOT = Path(os.environ.get("SANDBOX_SCREENSHOT", ROOT / "var" / "artifacts" / "sandbox-chat.png"))


@pytest.fixture
async def stack(database_url: str, broker: Broker, tmp_path: Path) -> AsyncIterator[Stack]:
    running = Stack(database_url, broker, tmp_path)
    try:
        await running.start()
        yield running
    finally:
        await running.stop()
        # pytest shows this only when the test failed: what each program said.
        print(running.logs())  # noqa: T201


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is needed: apt-get install -y chromium (./start.sh test does it)"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        await launched.close()


async def add_person(page: Page, name: str, language: str) -> None:
    form = page.locator("#add-person")
    await form.locator("input[name=name]").fill(name)
    await form.locator("select[name=language]").select_option(language)
    await form.locator("button").click()
    await expect(page.locator("#as-person")).to_contain_text(name)


async def say(page: Page, text: str) -> None:
    await page.locator("#text").fill(text)
    await page.locator("#text").press("Enter")
    await expect(page.locator(".msg.out").last).to_contain_text(text)


def bot_says(page: Page, text: str | re.Pattern[str]):  # type: ignore[no-untyped-def]
    return expect(page.locator(".msg.in", has_text=text).last).to_be_visible(timeout=WAIT_MS)


async def pair_a_device_from_the_panel(page: Page) -> str:
    """Read a pairing code off the device panel, as a person reads it off the device; returns its name."""
    code = page.locator("#devices li.pending .code").first
    await expect(code).to_be_visible(timeout=WAIT_MS)
    uid = await page.locator("#devices li.pending").first.get_attribute("data-uid")
    await code.click()
    await expect(page.locator("#text")).to_have_value(re.compile(r"^/add [0-9A-Z]{8}$"))
    await page.locator("#text").press("Enter")
    await bot_says(page, "Paired")
    reply = await page.locator(".msg.in", has_text="Paired").last.inner_text()
    await expect(page.locator(f'#devices li[data-uid="{uid}"]')).to_have_class(re.compile("paired"))
    found = re.search(r"Paired: (.+?)\. You are its owner", reply)
    assert found, reply
    return found.group(1)


async def status_shows_readings_of(page: Page, name: str) -> None:
    """The device reports every 2 s: /status lists it, with a CO2 reading once the first one is stored."""
    replies = page.locator(".msg.in", has_text="Current readings")
    for _ in range(20):
        before = await replies.count()
        await say(page, "/status")
        await expect(replies).to_have_count(before + 1, timeout=WAIT_MS)
        status = replies.last
        await expect(status).to_contain_text(name)
        if "ppm" in await status.inner_text():
            return
        await page.wait_for_timeout(2000)  # the next report is due within 2 s
    raise AssertionError("/status never showed a reading")


async def switch_the_chart_to_co2(page: Page) -> None:
    await say(page, "/history")
    chart = page.locator(".msg.in .bubble.photo img").last
    await expect(chart).to_be_visible(timeout=WAIT_MS)
    message = page.locator(".msg.in", has=page.locator(".bubble.photo")).last
    message_id = await message.get_attribute("data-id")
    first_file = await chart.get_attribute("data-file-id")
    await expect(message).to_contain_text("24 h")
    await message.locator(".keyboard button", has_text="CO₂").click()
    replaced = page.locator(f'.msg[data-id="{message_id}"]')
    await expect(replaced.locator("img")).not_to_have_attribute(
        "data-file-id", first_file or "", timeout=WAIT_MS
    )
    await expect(replaced.locator(".keyboard button", has_text="• CO₂")).to_be_visible()
    assert await page.locator(".bubble.photo img").count() == 1  # replaced in place, not sent again
    await expect(replaced.locator("img")).to_have_js_property("complete", True)
    assert await replaced.locator("img").evaluate("image => image.naturalWidth") > 300


async def export_a_csv(page: Page) -> None:
    """/export for 24 h sends a CSV document; its card opens the file."""
    await say(page, "/export")
    await bot_says(page, "for which period?")
    await (
        page.locator(".msg.in", has_text="for which period?").last.locator("button", has_text="24 h").click()
    )
    document = page.locator(".msg.in .file").last
    await expect(document).to_be_visible(timeout=WAIT_MS)
    await expect(document.locator(".file-name")).to_have_text(re.compile(r"\.csv$"))
    response = await page.request.get(await document.evaluate("link => link.href"))
    assert response.ok
    lines = (await response.text()).splitlines()
    assert len(lines) > 100  # the backfilled day, one reading a minute
    assert "co2" in lines[0]


async def invite_a_new_person(page: Page, name: str, language: str) -> None:
    await say(page, "/share")
    await bot_says(page, "Which device do you want to share?")
    await page.locator(".msg.in", has_text="Which device").last.locator(".keyboard button").first.click()
    await page.locator(".msg.in .keyboard button", has_text="Viewer").last.click(timeout=WAIT_MS)
    invitation = page.locator(".msg.in", has_text="Invitation to").last
    await expect(invitation).to_be_visible(timeout=WAIT_MS)
    await invitation.locator("a", has_text="t.me/").click()
    await expect(page.locator("#invite")).to_be_visible()
    await page.locator("#invite-new input[name=name]").fill(name)
    await page.locator("#invite-new select[name=language]").select_option(language)
    await page.locator("#invite-new button").click()
    await expect(page.locator("#as-person")).to_contain_text(name)
    await expect(page.locator(".msg.out").first).to_contain_text("/start inv_")


async def test_a_person_pairs_a_device_charts_it_and_shares_it(stack: Stack, browser: Browser) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 860})
    await page.goto(stack.url)
    await expect(page.locator("#nobody")).to_be_visible()

    await add_person(page, "Alice", "en")
    await page.locator("#start-button").click()
    await bot_says(page, "Hello, Alice! I am SmartAir")
    # The command menu is the bot's setMyCommands.
    await page.locator("#menu-button").click()
    await expect(page.locator("#menu li", has_text="/history")).to_be_visible()
    await page.locator("#menu-button").click()

    name = await pair_a_device_from_the_panel(page)
    await status_shows_readings_of(page, name)

    await switch_the_chart_to_co2(page)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT))

    await export_a_csv(page)
    await invite_a_new_person(page, "Boris", "ru")
    await bot_says(page, "Теперь у вас есть доступ")
    # Alice hears that Boris accepted: an unread message in her chat.
    alice = page.locator("#people li", has_text="Alice")
    await expect(alice.locator(".unread")).to_be_visible(timeout=WAIT_MS)
    await alice.click()
    await bot_says(page, "Boris accepted your invitation")
