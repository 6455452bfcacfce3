"""OTA in the chat, through the real bot and the Bot API double: an operator's /firmware and /rollouts, an
owner's /update with its self-editing progress, and who is refused."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sandbox.botapi import BotApiDouble, BotMessage, TelegramUser
from sandbox.programs import BotProcess
from sandbox.seed import share
from tests.kit.chat import open_card, owner_with_device, started_user
from tests.kit.sql import execute, fetch
from tests.kit.wait import eventually
from tests.ota.conftest import Ota
from tests.ota.helpers import fresh_version, paired_devices, report, stored_firmware


def send_document(
    tg: BotApiDouble, who: TelegramUser, content: bytes, name: str, size: int | None = None
) -> None:
    """The person sends a file as a document; `size` is what Telegram announces (by default its own)."""
    stored = tg.files.add("documents", content, name)
    message = {
        "message_id": tg.next_message_id(who.id),
        "date": int(time.time()),
        "chat": who.chat,
        "from": who.as_telegram,
        "document": {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": name,
            "file_size": size if size is not None else len(content),
            "mime_type": stored.mime_type,
        },
    }
    tg.push_update({"message": message})


async def _reply(who: TelegramUser) -> str:
    return (await who.next_message()).text or ""


async def _start_upload(operator: TelegramUser, device_type: str) -> None:
    operator.send("/firmware")
    assert "Which device type?" in await _reply(operator)
    operator.press(device_type)
    await operator.next_message()  # the type's firmware, now listed in place
    assert "Send the new firmware file" in await _reply(operator)


def _firmware_files(folder: str) -> list[str]:
    return sorted(name for name in os.listdir(folder))


async def test_an_operator_uploads_firmware_that_is_stored_signed_and_a_version_not_newer_is_refused(
    tg: BotApiDouble, operator: TelegramUser, ota: Ota
):
    operator.drain()
    await _start_upload(operator, "host")
    send_document(tg, operator, b"not firmware", "notes.txt")
    assert "not a firmware file" in await _reply(operator)
    send_document(tg, operator, b"x" * 100, "huge.bin", size=60 * 1024 * 1024)
    assert "larger than 50 MB" in await _reply(operator)
    image = os.urandom(200_000)
    version = fresh_version()
    send_document(tg, operator, image, f"host-{version}.bin")
    assert "Its version?" in await _reply(operator)
    operator.send("ten")
    assert "Not a semantic version" in await _reply(operator)
    operator.send(version)
    assert "What changed?" in await _reply(operator)
    operator.send("faster boot")
    assert f"Store host {version}?" in await _reply(operator)
    operator.press("✅ Store")
    stored = await operator.next_message()
    assert f"Stored host {version} as a draft" in (stored.text or "")
    rows = await fetch(
        ota.sessionmaker, "SELECT size, state, signature FROM firmware WHERE version = :v", v=version
    )
    assert rows[0][0] == len(image) and rows[0][1] == "draft" and rows[0][2]
    files = _firmware_files(ota.firmware.firmware_dir)
    assert [name for name in files if version in name] and not [
        name for name in files if name.startswith(".")
    ]

    await _start_upload(operator, "host")
    send_document(tg, operator, b"older", "host-9.bin")
    await operator.next_message()
    operator.send("9.9.9")
    assert f"must be newer than {version}" in await _reply(operator)
    operator.press("✖ Discard")
    assert "nothing was stored" in await _reply(operator)
    # The abandoned upload left nothing behind: no row, no file.
    assert await fetch(ota.sessionmaker, "SELECT id FROM firmware WHERE version = '9.9.9'") == []
    assert not [name for name in _firmware_files(ota.firmware.firmware_dir) if name.startswith(".")]


async def test_an_operator_starts_a_rollout_and_pauses_resumes_and_cancels_it_in_rollouts(
    tg: BotApiDouble,
    operator: TelegramUser,
    ota: Ota,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
):
    operator.drain()
    owner, _, device = await owner_with_device(tg, engine, sessionmaker, "Mira")
    await execute(engine, "UPDATE devices SET device_type = 'meter' WHERE id = :id", id=device)
    info = await stored_firmware(sessionmaker, ota.firmware, device_type="meter")
    operator.send("/firmware")
    await operator.next_message()
    operator.press("meter")
    listing = await operator.next_message()
    assert f"{info.version} — draft" in (listing.text or "")
    await operator.next_message()
    operator.press(f"🚀 All to {info.version}")
    draft = await operator.next_message()
    assert f"{info.version} to all meter devices" in (draft.text or "") and "Soak" not in (draft.text or "")
    operator.press("🚀 Start")
    started = await operator.next_message()
    assert "Rollout #" in (started.text or "")
    rollout = int(
        (await fetch(ota.sessionmaker, "SELECT id FROM rollouts WHERE firmware_id = :f", f=info.id))[0][0]
    )

    operator.send("/rollouts")
    listed = await _reply(operator)
    assert f"#{rollout} meter {info.version} — running" in listed and "1 devices" in listed
    operator.press(f"⏸ #{rollout}")
    assert f"#{rollout} meter {info.version} — paused" in ((await operator.next_message()).text or "")
    operator.press(f"▶️ #{rollout}")
    assert f"#{rollout} meter {info.version} — running" in ((await operator.next_message()).text or "")
    operator.press(f"✖ #{rollout}")
    assert f"#{rollout} meter {info.version} — cancelled" in ((await operator.next_message()).text or "")
    assert owner.id != operator.id


async def test_an_operator_chooses_canary_size_threshold_and_soak_and_watches_the_canary_widen_by_itself(
    tg: BotApiDouble, operator: TelegramUser, ota: Ota, sessionmaker: async_sessionmaker[AsyncSession]
):
    await ota.processor.start()
    operator.drain()
    await paired_devices(sessionmaker, 6, device_type="multi")
    info = await stored_firmware(sessionmaker, ota.firmware, device_type="multi")
    operator.send("/firmware")
    await operator.next_message()
    operator.press("multi")
    await operator.next_message()  # the type's firmware
    await operator.next_message()  # "send the file"
    operator.press(f"🐤 Canary {info.version}")
    draft = await _reply(operator)
    assert "Stages: 5 % → 25 % → 100 %" in draft and "Failures allowed: 0" in draft and "Soak: 1 h" in draft
    operator.press("25 %")
    assert "Stages: 25 % → 100 %" in await _reply(operator)
    operator.press("❌ 1")
    assert "Failures allowed: 1" in await _reply(operator)
    operator.send("forever")
    assert "Not a soak time" in await _reply(operator)
    operator.send("2s")
    draft = await _reply(operator)
    assert "Stages: 25 % → 100 %" in draft and "Failures allowed: 1" in draft and "Soak: 2 s" in draft
    operator.press("🚀 Start")
    assert "Rollout #" in await _reply(operator)
    rollout = int(
        (await fetch(sessionmaker, "SELECT id FROM rollouts WHERE firmware_id = :f", f=info.id))[0][0]
    )
    rows = await fetch(
        sessionmaker, "SELECT stages, failure_threshold, soak_seconds FROM rollouts WHERE id = :r", r=rollout
    )
    assert (list(rows[0][0]), rows[0][1], rows[0][2]) == ([25, 100], 1, 2)

    operator.send("/rollouts")
    listed = await _reply(operator)
    assert f"#{rollout} multi {info.version} — running, stage 25 %" in listed
    assert "next: 100 % by itself 2 s after this stage ends" in listed
    canary = await fetch(
        sessionmaker,
        "SELECT d.device_uid FROM rollout_targets t JOIN devices d ON d.id = t.device_id"
        " WHERE t.rollout_id = :r",
        r=rollout,
    )
    await eventually(lambda: _all_published(ota, rollout))
    for (uid,) in canary:
        await report(ota.broker, uid, rollout, "success")
    await eventually(lambda: _stage_is(sessionmaker, rollout, 1), within=30)
    operator.send("/rollouts")
    listed = await _reply(operator)
    assert f"#{rollout} multi {info.version} — running, stage 100 %" in listed
    assert f"✅ {len(canary)}, ❌ 0" in listed


async def _all_published(ota: Ota, rollout: int) -> bool:
    rows = await fetch(
        ota.sessionmaker, "SELECT published_at FROM rollout_targets WHERE rollout_id = :r", r=rollout
    )
    return bool(rows) and all(row[0] for row in rows)


async def _stage_is(sessionmaker: async_sessionmaker[AsyncSession], rollout: int, stage: int) -> bool:
    rows = await fetch(sessionmaker, "SELECT stage FROM rollouts WHERE id = :r", r=rollout)
    return int(rows[0][0]) == stage


async def test_rollouts_and_firmware_are_unknown_commands_to_anyone_but_an_operator(
    tg: BotApiDouble, ota: Ota, engine: AsyncEngine
):
    stranger, _ = await started_user(tg, engine, "Stan")
    stranger.send("/rollouts")
    unknown = await _reply(stranger)
    stranger.send("/no_such_command")
    assert unknown == await _reply(stranger)
    stranger.send("/firmware")
    assert unknown == await _reply(stranger)


async def test_an_owner_updates_from_update_and_watches_one_message_follow_the_device(
    tg: BotApiDouble, ota: Ota, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
):
    await ota.processor.start()
    owner, _, device = await owner_with_device(tg, engine, sessionmaker, "Olga")
    uid = str(
        (await fetch(ota.sessionmaker, "SELECT device_uid FROM devices WHERE id = :id", id=device))[0][0]
    )
    viewer, viewer_id = await started_user(tg, engine, "Vera")
    await share(sessionmaker, viewer_id, device, "viewer")
    await execute(engine, "UPDATE firmware SET state = 'withdrawn' WHERE device_type = 'co2'")
    info = await stored_firmware(sessionmaker, ota.firmware, device_type="co2")
    await execute(engine, "UPDATE firmware SET state = 'stable' WHERE id = :id", id=info.id)

    name = str((await fetch(ota.sessionmaker, "SELECT name FROM devices WHERE id = :id", id=device))[0][0])
    owner_card = await open_card(owner, name)
    assert f"⬆️ Update firmware to {info.version}" in owner_card.button_texts
    viewer_card = await open_card(viewer, name)
    assert not [text for text in viewer_card.button_texts if "Update firmware" in text]

    owner.send("/update")
    offer = await owner.next_message()
    assert f"2.0.1 → {info.version}" in (offer.text or "")
    # The viewer forges the owner's button: refused, and nothing starts.
    button = str(offer.buttons[0][0]["callback_data"])
    viewer.press_raw(button)
    assert "no rights" in ((await viewer.next_answer()).text or "")
    assert await fetch(ota.sessionmaker, "SELECT id FROM rollouts WHERE firmware_id = :f", f=info.id) == []

    owner.press(f"⬆️ Update firmware to {info.version}")
    progress = await owner.next_message()
    assert "waiting for the device" in (progress.text or "")
    rollout = int(
        (await fetch(ota.sessionmaker, "SELECT id FROM rollouts WHERE firmware_id = :f", f=info.id))[0][0]
    )
    await eventually(lambda: _published(ota, rollout))
    for state, shown in (
        ("downloading", f"downloading {info.version}"),
        ("installing", f"installing {info.version}"),
        ("success", f"runs {info.version}"),
    ):
        await report(ota.broker, uid, rollout, state)
        await eventually(lambda shown=shown: _shows(tg, owner, progress, shown), within=30)


async def _published(ota: Ota, rollout: int) -> bool:
    rows = await fetch(
        ota.sessionmaker, "SELECT published_at FROM rollout_targets WHERE rollout_id = :r", r=rollout
    )
    return bool(rows and rows[0][0])


async def _shows(tg: BotApiDouble, who: TelegramUser, message: BotMessage, text: str) -> bool:
    current = tg.chat_messages(who.id).get(message.message_id) or {}
    return text in str(current.get("text", ""))


async def test_without_a_signing_key_firmware_is_refused_with_a_clear_message_and_nothing_stored(
    ota: Ota, tmp_path_factory: pytest.TempPathFactory
):
    api = BotApiDouble()
    await api.start()
    operator = api.user("Keyless")
    folder = tmp_path_factory.mktemp("keyless")
    bot = BotProcess(
        api,
        ota.database_url,
        folder,
        ADMIN_USER_IDS=str(operator.id),
        FIRMWARE_SIGNING_KEY="",
        FIRMWARE_DIR=str(folder / "firmware"),
    )
    try:
        await bot.launch()
        operator.send("/firmware")
        assert "FIRMWARE_SIGNING_KEY is not set" in await _reply(operator)
        assert not (folder / "firmware").exists()
    finally:
        await bot.stop()
        await api.close()
