"""The device's side of an update against the real processor: download with its token (resumed), size,
hash and signature checks, A/B install and switch; a tampered file, a bad signature or a wrong token never
reach the inactive slot, and the active one stays as it was."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from core.services.ota import rollouts, signing
from core.services.ota.rules import Scope
from device.ota import Document, Slots, UpdateFailed, download, verify
from tests.kit.wait import eventually
from tests.ota.conftest import Ota
from tests.ota.helpers import OtaWatcher, paired_devices, stored_firmware


async def _document(ota: Ota, image: bytes) -> Document:
    """A device of a one-device rollout, and the document the processor retained for it."""
    info = await stored_firmware(ota.sessionmaker, ota.firmware, content=image)
    ((uid, device_id),) = (await paired_devices(ota.sessionmaker, 1)).items()
    async with OtaWatcher(ota.broker).watching() as watcher:
        async with ota.sessionmaker() as session:
            await rollouts.start(session, firmware_id=info.id, scope=Scope.DEVICE, device_id=device_id)

        async def published() -> list[dict[str, object]]:
            return watcher.published(uid)

        body = (await eventually(published, within=30))[-1]
    fields = ("id", "version", "url", "size", "checksum", "signature")
    return Document(**{key: body[key] for key in fields})  # type: ignore[arg-type]


def _public_key(ota: Ota) -> str:
    key = signing.load_private_key(ota.firmware.firmware_signing_key.get_secret_value())
    return signing.public_pem(key)


async def test_a_verified_image_goes_into_the_inactive_slot_which_becomes_active(ota: Ota, tmp_path: Path):
    await ota.processor.start()
    image = os.urandom(500_000)
    document = await _document(ota, image)
    part = tmp_path / "download.part"
    part.write_bytes(image[:123_456])  # an interrupted earlier download: the rest is fetched with a range
    await download(document, part)
    verify(document, part, _public_key(ota))
    slots = Slots(tmp_path / "slots")
    assert slots.active() == "a"
    slot = slots.install(part, document.version)
    slots.switch(slot)
    assert slots.active() == "b" and slots.version() == document.version
    assert (tmp_path / "slots" / "b" / "firmware.bin").read_bytes() == image


async def test_a_tampered_file_fails_the_hash_check_and_nothing_is_installed(ota: Ota, tmp_path: Path):
    await ota.processor.start()
    document = await _document(ota, os.urandom(100_000))
    served = _served(ota, document.version)
    tampered = bytearray(served.read_bytes())
    tampered[5000] ^= 0xFF
    served.write_bytes(bytes(tampered))
    part = tmp_path / "download.part"
    await download(document, part)
    with pytest.raises(UpdateFailed, match="hash mismatch"):
        verify(document, part, _public_key(ota))


async def test_an_image_signed_by_another_key_is_refused(ota: Ota, tmp_path: Path):
    await ota.processor.start()
    document = await _document(ota, os.urandom(100_000))
    part = tmp_path / "download.part"
    await download(document, part)
    stranger = signing.load_private_key(signing.new_private_pem())
    with pytest.raises(UpdateFailed, match="bad signature"):
        verify(document, part, signing.public_pem(stranger))
    digest = document.checksum.removeprefix(signing.CHECKSUM_PREFIX)
    forged = dataclasses.replace(document, signature=signing.sign(stranger, digest))
    with pytest.raises(UpdateFailed, match="bad signature"):
        verify(forged, part, _public_key(ota))


async def test_a_wrong_token_is_refused_before_anything_is_written(ota: Ota, tmp_path: Path):
    await ota.processor.start()
    document = await _document(ota, os.urandom(10_000))
    wrong = dataclasses.replace(document, url=document.url + "x")
    part = tmp_path / "download.part"
    with pytest.raises(UpdateFailed, match="403"):
        await download(wrong, part)
    assert not part.exists() or part.stat().st_size == 0


def _served(ota: Ota, version: str) -> Path:
    return next(path for path in Path(ota.firmware.firmware_dir).iterdir() if version in path.name)
