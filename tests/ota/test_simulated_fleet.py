"""The fleet simulator's updates: with a failure rate, a canary of simulated devices rolls back and halts;
nobody beyond the canary is updated."""

from __future__ import annotations

from core.services.ota import rollouts
from core.services.ota.rules import Scope
from sandbox.seed import make_user, pair_device
from tests.kit.fixtures import Spawn
from tests.kit.wait import eventually
from tests.ota.conftest import Ota
from tests.ota.helpers import rollout_state, stored_firmware, target_states
from tests.processor.helpers import fetch

PREFIX = "simota"
COUNT = 10


def _simulator(ota: Ota, failure_rate: str) -> list[str]:
    return [
        "--host", ota.broker.host, "--port", str(ota.broker.port),
        "--username", ota.broker.username, "--password", ota.broker.password,
        "--prefix", PREFIX, "--devices", str(COUNT), "--types", "host", "--interval", "5",
        "--ota-failure-rate", failure_rate,
    ]  # fmt: skip


async def test_a_canary_of_simulated_devices_that_fail_halts_the_rollout(ota: Ota, spawn: Spawn):
    await ota.processor.start()
    uids = [f"{PREFIX}-{number:04d}" for number in range(1, COUNT + 1)]
    for uid in uids:
        await pair_device(ota.sessionmaker, uid=uid, device_type="host")
    spawn("device.simulate", _simulator(ota, "1.0"))
    info = await stored_firmware(ota.sessionmaker, ota.firmware, device_type="host")
    async with ota.sessionmaker() as session:
        rollout_id = await rollouts.start(
            session,
            firmware_id=info.id,
            scope=Scope.CANARY,
            stages=[50, 100],
            failure_threshold=0,
            started_by=await make_user(ota.sessionmaker),
        )

    async def halted() -> bool:
        return await rollout_state(ota.database_url, rollout_id) == "halted"

    await eventually(halted, within=60)
    canary = await target_states(ota.database_url, rollout_id)
    simulated = {uid: state for uid, state in canary.items() if uid.startswith(PREFIX)}
    assert simulated, canary
    # Each simulated device of the canary that answered rolled back; none outside the canary was asked.
    assert set(simulated.values()) <= {"rolled_back", "pending", "downloading", "verifying", "installing"}
    assert "rolled_back" in simulated.values()
    fleet = await fetch(
        ota.database_url, "SELECT count(*) FROM devices WHERE device_type = 'host' AND paired_at IS NOT NULL"
    )
    assert len(canary) < fleet[0][0]  # the halted canary never widened to the rest
