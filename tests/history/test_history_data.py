"""Chart data: raw readings for short periods, the hourly rollup for long ones, never too many points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.services import history
from core.services.history import MAX_RAW_READINGS, HourStats, Sample
from sandbox.seed import pair_device, readings, store

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
async def month_device(sessionmaker: Sessions, database_url: str) -> int:
    """30 days of 30-second readings (86 400 rows), written as the processor writes them."""
    device = await pair_device(sessionmaker, name="Month")
    assert await store(database_url, readings(device, NOW - timedelta(days=30), NOW)) == 86400
    return device


async def _load(sessionmaker: Sessions, device: int, span: timedelta) -> history.DeviceHistory:
    async with sessionmaker() as session:
        return await history.load(session, device, NOW - span, NOW)


async def test_short_periods_read_every_raw_reading(
    sessionmaker: Sessions, engine: AsyncEngine, month_device: int
) -> None:
    for span, expected in ((timedelta(hours=6), 720), (timedelta(hours=24), 2880)):
        data = await _load(sessionmaker, month_device, span)
        assert not data.hourly
        assert set(data.series) == {"co2", "temperature", "humidity"}
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT ts, co2 FROM telemetry"
                        " WHERE device_id = :d AND ts >= :s AND ts < :e ORDER BY ts"
                    ),
                    {"d": month_device, "s": NOW - span, "e": NOW},
                )
            ).all()
        assert len(rows) == expected
        assert data.series["co2"] == [Sample(ts, pytest.approx(co2)) for ts, co2 in rows]


async def test_long_periods_read_hourly_buckets_that_match_the_raw_data(
    sessionmaker: Sessions, engine: AsyncEngine, month_device: int
) -> None:
    data = await _load(sessionmaker, month_device, timedelta(days=7))
    assert data.hourly
    buckets = data.series["co2"]
    assert 7 * 24 <= len(buckets) <= 7 * 24 + 1
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT date_trunc('hour', ts, 'UTC'), min(co2), avg(co2), max(co2) FROM telemetry"
                    " WHERE device_id = :d AND ts >= date_trunc('hour', CAST(:s AS timestamptz), 'UTC')"
                    " AND ts < :e GROUP BY 1 ORDER BY 1"
                ),
                {"d": month_device, "s": NOW - timedelta(days=7), "e": NOW},
            )
        ).all()
    expected = [HourStats(ts, low, mean, high) for ts, low, mean, high in rows]
    assert [b.ts for b in buckets] == [e.ts for e in expected]
    for got, want in zip(buckets, expected, strict=True):
        assert (got.min, got.mean, got.max) == pytest.approx((want.min, want.mean, want.max), rel=1e-5)


@pytest.mark.parametrize("days", [1, 2, 7, 30])
async def test_no_period_reads_more_than_a_few_thousand_points(
    sessionmaker: Sessions, month_device: int, days: int
) -> None:
    data = await _load(sessionmaker, month_device, timedelta(days=days))
    per_metric = max(len(values) for values in data.series.values())
    assert per_metric <= MAX_RAW_READINGS
    assert data.points <= 3 * MAX_RAW_READINGS
    # Two days of 30-second data is 5760 readings: over the bound, so it comes from the rollup.
    assert data.hourly == (days >= 2)


async def test_dense_readings_use_the_rollup_even_for_six_hours(
    sessionmaker: Sessions, engine: AsyncEngine, database_url: str
) -> None:
    device = await pair_device(sessionmaker, name="Live")
    await store(database_url, readings(device, NOW - timedelta(hours=6), NOW, step_s=5))  # 4320 readings
    data = await _load(sessionmaker, device, timedelta(hours=6))
    assert data.hourly
    assert sum(1 for _ in data.series["co2"]) <= 7


async def test_one_metric_is_loaded_alone(sessionmaker: Sessions, month_device: int) -> None:
    async with sessionmaker() as session:
        data = await history.load(session, month_device, NOW - timedelta(days=7), NOW, ("humidity",))
    assert set(data.series) == {"humidity"}


async def test_period_longer_than_the_bound_is_refused(sessionmaker: Sessions, month_device: int) -> None:
    async with sessionmaker() as session:
        with pytest.raises(history.PeriodTooLong):
            await history.load(session, month_device, NOW - timedelta(days=100), NOW)


async def test_threshold_comes_from_the_config_else_the_co2_rule(
    sessionmaker: Sessions, engine: AsyncEngine
) -> None:
    device = await pair_device(sessionmaker, name="Threshold")
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE device_configs SET co2_threshold = 1200 WHERE device_id = :d"), {"d": device}
        )
    async with sessionmaker() as session:
        assert (await history.chart_settings(session, device)).co2_threshold == 1200
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM device_configs WHERE device_id = :d"), {"d": device})
    async with sessionmaker() as session:
        settings = await history.chart_settings(session, device)
    assert settings.co2_threshold == 1000
    assert settings.sensors == ("co2", "temperature", "humidity")
    assert settings.name == "Threshold"
