"""A firmware update on the device (SPEC 6): download with the per-device token (resuming a partial file),
check size, SHA-256 and the Ed25519 signature against the public key in the device's config, install into
the inactive A/B slot and switch to it; switch back when the new version does not come up healthy.

Slots are directories `a` and `b` under the device's slot folder; `active` is a symlink to one of them,
replaced atomically (a rename), so a power cut leaves either the old or the new slot active, never neither.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from core.services.ota import signing

CHUNK = 256 * 1024
SLOTS = ("a", "b")
IMAGE = "firmware.bin"
VERSION = "VERSION"


class UpdateFailed(Exception):
    """The update cannot go on; the message is what the device reports as `error`."""


@dataclass(frozen=True, slots=True)
class Document:
    """The retained `devices/{uid}/ota` document (SPEC 3)."""

    id: str
    version: str
    url: str
    size: int
    checksum: str
    signature: str


async def download(document: Document, target: Path, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    """Fetch the image into `target`, continuing a partial file with a range request."""
    have = _resume_from(target, document.size)
    if have == document.size:
        return
    headers = {"Range": f"bytes={have}-"} if have else {}
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    try:
        async with (
            aiohttp.ClientSession(timeout=client_timeout) as http,
            http.get(document.url, headers=headers) as response,
        ):
            if response.status == 403:
                raise UpdateFailed("download refused (403): wrong or expired token")
            if response.status not in (200, 206):
                raise UpdateFailed(f"download failed: HTTP {response.status}")
            mode = "ab" if response.status == 206 else "wb"
            with target.open(mode) as stream:
                async for chunk in response.content.iter_chunked(CHUNK):
                    stream.write(chunk)
    except (aiohttp.ClientError, TimeoutError) as error:
        raise UpdateFailed(f"download interrupted: {error!r}") from error


def _resume_from(target: Path, size: int) -> int:
    """Bytes already downloaded; a partial file longer than the image is not ours to continue."""
    have = target.stat().st_size if target.exists() else 0
    if have > size:
        target.unlink()
        return 0
    return have


def verify(document: Document, image: Path, public_key_pem: str) -> None:
    """Size, SHA-256 and signature, in that order; UpdateFailed naming the first that does not match."""
    size = image.stat().st_size
    if size != document.size:
        raise UpdateFailed(f"size mismatch: got {size} bytes, expected {document.size}")
    digest = hashlib.sha256()
    with image.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    expected = document.checksum.removeprefix(signing.CHECKSUM_PREFIX)
    if digest.hexdigest() != expected:
        raise UpdateFailed("hash mismatch: the file is not the one the server signed")
    try:
        public = signing.load_public_key(public_key_pem)
    except signing.BadKey as error:
        raise UpdateFailed(f"no usable firmware public key: {error}") from error
    if not signing.verify(public, expected, document.signature):
        raise UpdateFailed("bad signature: not signed by the firmware key")


class Slots:
    """The A/B slots under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.link = root / "active"

    def active(self) -> str:
        if not self.link.is_symlink():
            return SLOTS[0]
        return os.readlink(self.link)

    def inactive(self) -> str:
        return SLOTS[1] if self.active() == SLOTS[0] else SLOTS[0]

    def version(self, slot: str | None = None) -> str | None:
        marker = self.root / (slot or self.active()) / VERSION
        return marker.read_text().strip() if marker.exists() else None

    def install(self, image: Path, version: str) -> str:
        """Copy the verified image into the inactive slot (emptied first); returns that slot's name."""
        slot = self.inactive()
        folder = self.root / slot
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copyfile(image, folder / IMAGE)
        (folder / VERSION).write_text(version)
        return slot

    def switch(self, slot: str) -> None:
        """Make `slot` the active one, atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        temporary = self.root / "active.new"
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(slot)
        temporary.replace(self.link)
