"""Alerts on any catalogue metric, with each type's default rules (SPEC 3a): a meter's power above its limit,
a computer's disk above 90 % for five minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.services.alerting import DeviceReading, evaluate_batch
from sandbox.seed import Sessions, make_user, pair_device
from tests.alerting.helpers import alerts_of, outbox_of

DAY = datetime(2026, 11, 20, 12, tzinfo=UTC)


async def _feed(sessions: Sessions, device_id: int, metric: str, values: list[tuple[int, float]]) -> None:
    for offset, value in values:
        ts = DAY + timedelta(seconds=offset)
        async with sessions() as session:
            await evaluate_batch(session, [DeviceReading(device_id, ts, {metric: value})], ts)
            await session.commit()


async def test_a_meter_over_its_power_limit_for_five_minutes_alerts_and_recovers(
    sessionmaker: Sessions,
) -> None:
    owner = await make_user(sessionmaker)
    meter = await pair_device(sessionmaker, owner_id=owner, device_type="meter")
    # A kettle's minute above 7 kW is nothing; a quarter of an hour of it is.
    await _feed(sessionmaker, meter, "power_w", [(0, 7600), (60, 2000)])
    assert await alerts_of(sessionmaker, owner, meter) == []
    await _feed(sessionmaker, meter, "power_w", [(120 + 60 * i, 7400) for i in range(7)] + [(600, 5500)])
    alerts = await alerts_of(sessionmaker, owner, meter)
    assert [(a.type, a.value, a.threshold) for a in alerts] == [
        ("power_w_high", 7400, 7000),
        ("power_w_normal", 5500, 7000),
    ]
    fired, _recovered = await outbox_of(sessionmaker, owner)
    assert fired.payload["metric"] == "power_w"
    assert fired.payload["device_name"].startswith("Electricity meter")


async def test_a_computer_whose_disk_stays_above_90_percent_alerts(sessionmaker: Sessions) -> None:
    owner = await make_user(sessionmaker)
    host = await pair_device(sessionmaker, owner_id=owner, device_type="host")
    await _feed(sessionmaker, host, "disk_percent", [(10 * i, 91.0 + i / 100) for i in range(29)])  # 280 s
    assert await alerts_of(sessionmaker, owner, host) == []
    await _feed(sessionmaker, host, "disk_percent", [(300, 92.0)])
    assert [a.type for a in await alerts_of(sessionmaker, owner, host)] == ["disk_percent_high"]
