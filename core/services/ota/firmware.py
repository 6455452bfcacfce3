"""Firmware images (SPEC 6): stored on disk under FIRMWARE_DIR with their size, SHA-256 and Ed25519
signature in PostgreSQL; listed per device type with their state.

Storing is all or nothing: the file is hashed and signed before it gets its final name, and a row that cannot
be committed takes its file with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import DeviceType, Firmware
from core.services.ota import signing
from core.services.ota.versions import NotAVersion, Version, is_newer
from core.settings import FirmwareSettings

# Telegram bots may download documents of up to 20 MB through the public Bot API and 50 MB is the largest
# document a bot may be sent at all (a local Bot API server lifts the first): the limit.
MAX_SIZE = 50 * 1024 * 1024
SUFFIXES = (".bin", ".img", ".swu", ".tar", ".tar.gz", ".tgz", ".zip")
MAX_CHANGELOG = 2000
_CHUNK = 1024 * 1024


class State(StrEnum):
    DRAFT = "draft"
    STABLE = "stable"
    WITHDRAWN = "withdrawn"


class FirmwareError(Exception):
    """An upload that cannot be stored; the subclass says why."""


class NoSigningKey(FirmwareError):
    """FIRMWARE_SIGNING_KEY is empty or not an Ed25519 private key."""


class WrongFile(FirmwareError):
    """Not a firmware file by its name, or empty."""


class TooLarge(FirmwareError):
    """Larger than MAX_SIZE."""


class NotNewer(FirmwareError):
    """The version is not above the type's latest (`latest`)."""

    def __init__(self, latest: str) -> None:
        super().__init__(latest)
        self.latest = latest


class UnknownType(FirmwareError):
    """No such device type."""


@dataclass(frozen=True, slots=True)
class FirmwareInfo:
    id: int
    device_type: str
    version: str
    size: int
    checksum: str
    signature: str
    changelog: str
    state: State
    created_at: datetime


def signing_key(settings: FirmwareSettings) -> signing.Ed25519PrivateKey:
    """The key uploads are signed with; NoSigningKey when it is missing or unusable."""
    pem = settings.firmware_signing_key.get_secret_value()
    if not pem.strip():
        raise NoSigningKey("FIRMWARE_SIGNING_KEY is not set")
    try:
        return signing.load_private_key(pem)
    except signing.BadKey as error:
        raise NoSigningKey(f"FIRMWARE_SIGNING_KEY: {error}") from error


def check_file(file_name: str | None, size: int | None) -> None:
    """A firmware file by its name and announced size (before it is downloaded at all)."""
    if not file_name or not file_name.lower().endswith(SUFFIXES):
        raise WrongFile(file_name or "")
    if size is not None and size > MAX_SIZE:
        raise TooLarge(str(size))
    if size == 0:
        raise WrongFile("empty")


async def latest_version(session: AsyncSession, device_type: str) -> str | None:
    """The highest version of the type ever uploaded (withdrawn ones too: a version is never reused)."""
    versions = await session.scalars(select(Firmware.version).where(Firmware.device_type == device_type))
    parsed = []
    for text in versions:
        with contextlib.suppress(NotAVersion):
            parsed.append(Version(text))
    return str(max(parsed)) if parsed else None


async def check_version(session: AsyncSession, device_type: str, version: str) -> str:
    """The version, normalised; NotAVersion, NotNewer or UnknownType otherwise."""
    if await session.scalar(select(DeviceType.id).where(DeviceType.code == device_type)) is None:
        raise UnknownType(device_type)
    latest = await latest_version(session, device_type)
    if not is_newer(version, latest):
        raise NotNewer(latest or "")
    return str(Version(version))


def staging_path(settings: FirmwareSettings) -> Path:
    """Where an upload is written before it is stored (same folder: the final rename is atomic)."""
    folder = Path(settings.firmware_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f".upload-{uuid.uuid4().hex}"


def discard_staged(staged: Path) -> None:
    """Delete an upload that will not be stored (discarded, refused, or left by an abandoned conversation)."""
    with contextlib.suppress(OSError):
        staged.unlink(missing_ok=True)


def file_path(settings: FirmwareSettings, file_name: str) -> Path:
    return Path(settings.firmware_dir) / file_name


def _place(staged: Path, final: Path) -> tuple[int, str]:
    """Size and SHA-256 of the staged file, which then takes its final name."""
    size = staged.stat().st_size
    if size > MAX_SIZE:
        raise TooLarge(str(size))
    if size == 0:
        raise WrongFile("empty")
    checksum = signing.sha256_of(_chunks(staged))
    os.replace(staged, final)
    return size, checksum


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            yield chunk


async def store(
    session: AsyncSession,
    settings: FirmwareSettings,
    *,
    device_type: str,
    version: str,
    changelog: str,
    staged: Path,
    uploaded_by: int | None,
) -> FirmwareInfo:
    """Hash, sign and keep the staged upload as a draft of `device_type`; commits. The staged file is
    gone afterwards whatever happens; on any error nothing of this upload remains."""
    final: Path | None = None
    try:
        key = signing_key(settings)
        version = await check_version(session, device_type, version)
        final = file_path(settings, f"{device_type}-{version}-{uuid.uuid4().hex[:12]}.bin")
        # Hashing 50 MB is not for the event loop.
        size, checksum = await asyncio.to_thread(_place, staged, final)
        file_name = final.name
        row = Firmware(
            device_type=device_type,
            version=version,
            size=size,
            checksum=checksum,
            signature=signing.sign(key, checksum),
            changelog=changelog[:MAX_CHANGELOG],
            state=State.DRAFT,
            file_name=file_name,
            uploaded_by=uploaded_by,
        )
        session.add(row)
        await session.commit()
    except BaseException:
        await session.rollback()
        for leftover in (staged, final):
            if leftover is not None:
                leftover.unlink(missing_ok=True)
        raise
    return _info(row)


def _info(row: Firmware) -> FirmwareInfo:
    return FirmwareInfo(
        id=row.id,
        device_type=row.device_type,
        version=row.version,
        size=row.size or 0,
        checksum=row.checksum or "",
        signature=row.signature or "",
        changelog=row.changelog or "",
        state=State(row.state),
        created_at=row.created_at,
    )


async def listing(session: AsyncSession, device_type: str) -> list[FirmwareInfo]:
    """The type's firmware, newest version first."""
    rows = (await session.scalars(select(Firmware).where(Firmware.device_type == device_type))).all()
    return sorted((_info(row) for row in rows), key=lambda info: Version(info.version), reverse=True)


async def get(session: AsyncSession, firmware_id: int) -> FirmwareInfo | None:
    row = await session.get(Firmware, firmware_id)
    return None if row is None else _info(row)


async def set_state(session: AsyncSession, firmware_id: int, state: State) -> bool:
    """Mark stable or withdrawn (a withdrawn image is never offered or rolled out again); commits."""
    changed = await session.execute(update(Firmware).where(Firmware.id == firmware_id).values(state=state))
    await session.commit()
    return bool(changed.rowcount)  # type: ignore[attr-defined]


async def newest_stable(session: AsyncSession, device_type: str, running: str | None) -> FirmwareInfo | None:
    """The highest stable version of the type above the one a device runs, if any (the owner's /update)."""
    for info in await listing(session, device_type):
        if info.state is State.STABLE:
            return info if is_newer(info.version, running) else None
    return None
