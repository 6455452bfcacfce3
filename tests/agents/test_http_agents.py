"""A computer watched by Telegraf pairs over HTTP, posts line protocol, and its alerts fire (SPEC 3a).

The lines are Telegraf's own documented output of its cpu, mem, disk, system and temp inputs, with fresh
timestamps; the processor is the real `python -m processor`, reached over HTTP.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import AgentToken, Alert, User
from core.services import devices, pairing
from core.services.agents import token_hash
from sandbox.seed import make_user
from tests.kit.wait import eventually
from tests.processor.helpers import fetch

Sessions = async_sessionmaker[AsyncSession]


def telegraf_lines(ts: float, *, idle: float) -> str:
    """One collection round, as Telegraf's inputs document their output (cpu's idle share set by the test)."""
    ns = int(ts * 1e9)
    return "\n".join(
        [
            f"cpu,cpu=cpu-total,host=robot-7 usage_guest=0,usage_guest_nice=0,usage_idle={idle},"
            f"usage_iowait=0,usage_irq=0,usage_nice=0,usage_softirq=0,usage_steal=0,usage_system=4.166666666161392,"
            f"usage_user={100 - idle - 4.166666666161392} {ns}",
            f"mem,host=robot-7 active=9299595264i,available=16818249728i,available_percent=80.41654254645131,"
            f"total=20913917952i,used=3335778304i,used_percent=15.95004011996231 {ns}",
            f"disk,device=sda2,fstype=ext4,host=robot-7,mode=rw,path=/ free=398407520256i,"
            f"inodes_free=97267461i,total=499088621568i,used=100418957312i,"
            f"used_percent=20.131039916242397 {ns}",
            f"system,host=robot-7 load1=3.72,load5=2.4,load15=2.1,n_users=3i,n_cpus=4i {ns}",
            f'system,host=robot-7 uptime_format="14 days, 11:07" {ns}',
            f"temp,host=robot-7,sensor=coretemp_physicalid0_crit temp=100 {ns}",
            f"temp,host=robot-7,sensor=coretemp_physicalid0_input temp=61 {ns}",
            "",
        ]
    )


async def pair_host(url: str, sessions: Sessions) -> tuple[str, str, int]:
    """POST /api/pair, the person's /add CODE, then the agent's poll: (uid, token, device id)."""
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{url}/api/pair", json={"device_type": "host", "hostname": "robot-7"}
        ) as response:
            assert response.status == 200
            offer = await response.json()
        async with http.get(f"{url}{offer['poll']}") as response:
            assert await response.json() == {"status": "pending"}
        owner_id = await make_user(sessions)
        async with sessions() as session:
            owner = await session.get_one(User, owner_id)
            device = await pairing.claim_code(session, owner, offer["code"], datetime.now(UTC))
        async with http.get(f"{url}{offer['poll']}") as response:
            paired = await response.json()
        async with http.get(f"{url}{offer['poll']}") as response:
            again = await response.json()
    assert paired["status"] == "paired" and paired["token"]
    assert again == {"status": "paired"}  # the token is shown once
    assert device.name == "robot-7"
    return offer["uid"], paired["token"], device.id


async def post(url: str, token: str, body: str, content_type: str = "text/plain; charset=utf-8") -> Any:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/api/metrics", data=body, headers=headers) as response,
    ):
        return response.status, (await response.text())


async def test_a_paired_host_posts_telegraf_line_protocol_and_its_cpu_alert_fires_and_recovers(
    processor_url: str, sessionmaker: Sessions, database_url: str
):
    _uid, token, device_id = await pair_host(processor_url, sessionmaker)
    async with sessionmaker() as session:
        stored = await session.scalar(select(AgentToken.token_hash).where(AgentToken.device_id == device_id))
    assert stored == token_hash(token) and token not in stored  # only a hash is kept

    now = time.time()
    busy = "".join(telegraf_lines(now - 400 + 100 * step, idle=3.5) for step in range(5))  # 96.5 % for 400 s
    assert await post(processor_url, token, busy) == (204, "")

    rows = await fetch(
        database_url,
        "SELECT cpu_percent, mem_percent, disk_percent, load1, temperature FROM telemetry"
        " WHERE device_id = $1 ORDER BY ts",
        device_id,
    )
    assert len(rows) == 5
    assert [round(value, 2) for value in rows[-1]] == [96.5, 15.95, 20.13, 3.72, 61.0]

    async def alert_types() -> list[str]:
        async with sessionmaker() as session:
            return list(
                await session.scalars(
                    select(Alert.type).where(Alert.device_id == device_id).order_by(Alert.id)
                )
            )

    assert await eventually(alert_types, 30) == ["cpu_percent_high"]
    assert await post(processor_url, token, telegraf_lines(time.time(), idle=92.0)) == (204, "")
    assert await eventually(lambda: _when(alert_types, 2), 30) == ["cpu_percent_high", "cpu_percent_normal"]


async def _when(check: Any, length: int) -> list[str] | None:
    found = await check()
    return found if len(found) >= length else None


async def test_wrong_and_revoked_tokens_are_refused_and_a_malformed_line_is_named_while_the_good_kept(
    processor_url: str, sessionmaker: Sessions, database_url: str
):
    _uid, token, device_id = await pair_host(processor_url, sessionmaker)
    status, _ = await post(processor_url, "x" * 43, telegraf_lines(time.time(), idle=50))
    assert status == 401

    good = f"mem,host=robot-7 used_percent=42.5 {int(time.time() * 1e9)}"
    broken = "cpu,cpu=cpu-total usage_idle=oops"
    status, body = await post(processor_url, token, f"{good}\n{broken}\n")
    assert status == 400 and "line 2" in body and "line 1" not in body
    rows = await fetch(database_url, "SELECT mem_percent FROM telemetry WHERE device_id = $1", device_id)
    assert [row["mem_percent"] for row in rows] == [42.5]

    json_reading = '{"cpu_percent": 12.5, "disk_percent": 91}'
    assert await post(processor_url, token, json_reading, "application/json") == (204, "")

    (owner,) = await fetch(database_url, "SELECT user_id FROM user_devices WHERE device_id = $1", device_id)
    async with sessionmaker() as session:
        await devices.remove(session, owner["user_id"], device_id)
    status, _ = await post(processor_url, token, telegraf_lines(time.time(), idle=50))
    assert status == 401
