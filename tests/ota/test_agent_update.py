"""`python -m device` updating itself against the real processor and broker: success only after it came
back on the new slot and published a reading; a tampered image reported failed with the old slot kept; a
device killed in the middle of its install finishes the update when it comes back."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from core.services.ota import rollouts, signing
from core.services.ota.rules import Scope
from device.ota import Slots
from sandbox.broker import Broker
from sandbox.programs import Program
from sandbox.seed import new_uid, pair_device
from tests.kit.agent import agent_config
from tests.kit.fixtures import Spawn
from tests.kit.wait import eventually
from tests.ota.conftest import Ota
from tests.ota.helpers import stored_firmware, target_states
from tests.processor.helpers import fetch


async def _device(
    ota: Ota, spawn: Spawn, workdir: Path, **settings: object
) -> tuple[str, int, Program, Path]:
    uid = new_uid("agent")
    device_id = await pair_device(ota.sessionmaker, uid=uid)
    key = signing.load_private_key(ota.firmware.firmware_signing_key.get_secret_value())
    await asyncio.to_thread(workdir.mkdir)
    config = agent_config(
        workdir,
        ota.broker.port,
        uid=uid,
        report_interval=1,
        firmware_public_key=signing.public_pem(key),
        slots_dir=str(workdir / "slots"),
        ota_health_timeout=15,  # under the 30 s report interval the server configures
        **settings,
    )
    return uid, device_id, spawn("device", ["--config", str(config)]), config


async def _state(ota: Ota, rollout_id: int, uid: str) -> str | None:
    return (await target_states(ota.database_url, rollout_id)).get(uid)


async def _start(ota: Ota, firmware_id: int, device_id: int) -> int:
    async with ota.sessionmaker() as session:
        return await rollouts.start(session, firmware_id=firmware_id, scope=Scope.DEVICE, device_id=device_id)


async def test_the_agent_reports_success_only_after_it_runs_the_new_slot_and_publishes(
    ota: Ota, spawn: Spawn, tmp_path: Path
):
    await ota.processor.start()
    image = os.urandom(300_000)
    info = await stored_firmware(ota.sessionmaker, ota.firmware, content=image)
    uid, device_id, _, _ = await _device(ota, spawn, tmp_path / "one")
    rollout_id = await _start(ota, info.id, device_id)

    async def succeeded() -> bool:
        return await _state(ota, rollout_id, uid) == "success"

    await eventually(succeeded, within=60)
    slots = Slots(tmp_path / "one" / "slots")
    assert slots.active() == "b" and slots.version() == info.version
    assert (tmp_path / "one" / "slots" / "b" / "firmware.bin").read_bytes() == image

    async def reports_new_version() -> bool:
        rows = await fetch(ota.database_url, "SELECT firmware_version FROM devices WHERE id = $1", device_id)
        return rows[0]["firmware_version"] == info.version

    await eventually(reports_new_version, within=30)


async def test_a_tampered_image_is_reported_failed_and_the_old_slot_stays(
    ota: Ota, spawn: Spawn, tmp_path: Path
):
    await ota.processor.start()
    info = await stored_firmware(ota.sessionmaker, ota.firmware, content=os.urandom(50_000))
    served = _served(ota, info.version)
    served.write_bytes(b"evil" + served.read_bytes()[4:])
    uid, device_id, _, _ = await _device(ota, spawn, tmp_path / "two")
    rollout_id = await _start(ota, info.id, device_id)

    async def failed() -> bool:
        return await _state(ota, rollout_id, uid) == "failed"

    await eventually(failed, within=60)
    rows = await fetch(
        ota.database_url, "SELECT error FROM rollout_targets WHERE rollout_id = $1", rollout_id
    )
    assert "hash mismatch" in rows[0]["error"]
    assert Slots(tmp_path / "two" / "slots").version() is None  # still the factory slot


async def test_a_device_killed_during_its_install_finishes_the_update_when_it_comes_back(
    ota: Ota, spawn: Spawn, tmp_path: Path, broker: Broker
):
    await ota.processor.start()
    info = await stored_firmware(ota.sessionmaker, ota.firmware, content=os.urandom(200_000))
    uid, device_id, agent, config = await _device(ota, spawn, tmp_path / "three", ota_install_delay=30)
    rollout_id = await _start(ota, info.id, device_id)

    async def installing() -> bool:
        return await _state(ota, rollout_id, uid) == "installing"

    await eventually(installing, within=60)
    agent.kill()
    text = config.read_text().replace('"ota_install_delay": 30', '"ota_install_delay": 0')
    config.write_text(text)
    agent.start()

    async def succeeded() -> bool:
        return await _state(ota, rollout_id, uid) == "success"

    await eventually(succeeded, within=60)
    assert Slots(tmp_path / "three" / "slots").version() == info.version
    assert broker.port == ota.broker.port


def _served(ota: Ota, version: str) -> Path:
    return next(path for path in Path(ota.firmware.firmware_dir).iterdir() if version in path.name)
