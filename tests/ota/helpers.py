"""What the OTA tests share: stored firmware, paired devices, a watcher of the retained ota documents,
devices' progress reports and the rollout's rows."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import aiomqtt
import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from core.services.ota import firmware
from core.settings import FirmwareSettings
from sandbox.broker import Broker
from sandbox.seed import new_uid, pair_device
from tests.processor.helpers import Publisher, fetch

# Versions only grow within a type: each test takes the next one, whatever ran before it in the package.
_majors = itertools.count(100)


def fresh_version() -> str:
    return f"{next(_majors)}.0.0"


async def stored_firmware(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: FirmwareSettings,
    version: str | None = None,
    content: bytes | None = None,
    device_type: str = "co2",
) -> firmware.FirmwareInfo:
    """An image uploaded the way /firmware stores it: staged, hashed, signed."""
    staged = firmware.staging_path(settings)
    staged.write_bytes(content if content is not None else os.urandom(300_000))
    async with sessionmaker() as session:
        return await firmware.store(
            session,
            settings,
            device_type=device_type,
            version=version or fresh_version(),
            changelog="fixes",
            staged=staged,
            uploaded_by=None,
        )


async def paired_devices(
    sessionmaker: async_sessionmaker[AsyncSession], count: int, device_type: str = "co2"
) -> dict[str, int]:
    """uid → device id of `count` newly paired devices."""
    uids = [new_uid("ota") for _ in range(count)]
    return {uid: await pair_device(sessionmaker, uid=uid, device_type=device_type) for uid in uids}


class OtaWatcher:
    """The server's account subscribed to every `devices/+/ota`: what each device would be handed."""

    def __init__(self, broker: Broker) -> None:
        self.documents: dict[str, list[bytes]] = defaultdict(list)
        self._client = aiomqtt.Client(broker.host, broker.port, identifier=new_uid("w"), **broker.credentials)

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[OtaWatcher]:
        async with self._client:
            await self._client.subscribe(topics.device_topic("+", topics.OTA), qos=1)
            reader = asyncio.create_task(self._read())
            try:
                yield self
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader

    async def _read(self) -> None:
        async for message in self._client.messages:
            uid = message.topic.value.split("/")[1]
            self.documents[uid].append(bytes(message.payload))  # type: ignore[arg-type]

    def published(self, uid: str) -> list[dict[str, object]]:
        return [orjson.loads(raw) for raw in self.documents[uid] if raw]

    def cleared(self, uid: str) -> bool:
        return bool(self.documents[uid]) and self.documents[uid][-1] == b""


async def report(broker: Broker, uid: str, rollout_id: int, state: str, error: str | None = None) -> None:
    """The device's `ota` event (sent with the server's account, which may publish anywhere)."""
    event: dict[str, object] = {"type": "ota", "id": str(rollout_id), "state": state}
    if error is not None:
        event["error"] = error
    async with Publisher(broker) as device:
        await device.send(topics.device_topic(uid, topics.EVENTS), event)


async def target_states(database_url: str, rollout_id: int) -> dict[str, str]:
    rows = await fetch(
        database_url,
        "SELECT d.device_uid, t.state FROM rollout_targets t JOIN devices d ON d.id = t.device_id"
        " WHERE t.rollout_id = $1",
        rollout_id,
    )
    return {row["device_uid"]: row["state"] for row in rows}


async def rollout_state(database_url: str, rollout_id: int) -> str:
    rows = await fetch(database_url, "SELECT state FROM rollouts WHERE id = $1", rollout_id)
    return str(rows[0]["state"])


def firmware_file(settings: FirmwareSettings, info: firmware.FirmwareInfo) -> Path:
    files = [path for path in Path(settings.firmware_dir).iterdir() if info.version in path.name]
    assert len(files) == 1, files
    return files[0]
