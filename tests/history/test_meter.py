"""An electricity meter's month, its register replaced mid-month: /history's consumption bars, the CSV
export and the monthly report all count what was consumed, never a negative jump (SPEC 3a)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.workers.rendering.drawing import render_report
from core import telemetry_store
from core.services import consumption, export, history, report
from core.services.periods import month_window
from core.telemetry_store import Row
from sandbox.seed import pair_device, store
from tests.history.test_report import PAGE

Sessions = async_sessionmaker[AsyncSession]
MOSCOW = ZoneInfo("Europe/Moscow")
STEP = timedelta(minutes=15)
PER_STEP = 0.25  # kWh: 1 kW for a quarter of an hour
WINDOW = month_window(2026, 10, "Europe/Moscow")
REPLACED_AT = datetime(2026, 10, 15, 12, tzinfo=MOSCOW)  # the new meter's register starts from zero


def meter_month(device_id: int) -> Iterator[Row]:
    """A reading every 15 minutes through October (Moscow time): 1 kW all along, register 5000 kWh at the
    start, then a new meter counting from zero from the 15th at noon."""
    moment, register = WINDOW.start, 5000.0
    while moment < WINDOW.end:
        if moment == REPLACED_AT:
            register = PER_STEP  # consumed since the swap, on a register that started at zero
        metrics = {"energy_kwh": register, "power_w": 1000.0, "voltage_v": 230.0, "current_a": 4.35}
        yield telemetry_store.row(device_id, moment, metrics)
        moment += STEP
        register += PER_STEP


@pytest.fixture
async def meter(sessionmaker: async_sessionmaker[AsyncSession], database_url: str) -> tuple[int, float]:
    """The meter's id and its register at the month's last reading."""
    created = datetime(2026, 9, 1, tzinfo=UTC)
    device_id = await pair_device(sessionmaker, device_type="meter", name="Flat 12", created_at=created)
    rows = list(meter_month(device_id))
    await store(database_url, iter(rows))
    return device_id, float(rows[-1][2 + 5])  # energy_kwh is the sixth metric column


READINGS = 31 * 96
# The first reading of the month has no earlier one to count from; every later one adds a quarter kWh.
MONTH_TOTAL = PER_STEP * (READINGS - 1)
# 23:00-07:00: 32 readings a night, the month's first reading (00:00 on the 1st) counting nothing.
NIGHT_TOTAL = PER_STEP * (31 * 32 - 1)


async def test_history_shows_consumption_per_day_through_the_meter_swap(
    sessionmaker: Sessions, meter: tuple[int, float]
) -> None:
    device_id, _ = meter
    async with sessionmaker() as session:
        data = await history.load(
            session, device_id, WINDOW.start, WINDOW.end, ("energy_kwh", "power_w"), tz_name="Europe/Moscow"
        )
    days = data.consumption["energy_kwh"]
    assert [bucket.day for bucket, _ in days] == list(range(1, 32))
    assert [amount for _, amount in days] == [24.0 - PER_STEP] + [24.0] * 30  # the 15th too
    assert "energy_kwh" not in data.series and data.series["power_w"]  # power stays a line

    async with sessionmaker() as session:
        day = await history.load(
            session, device_id, REPLACED_AT - timedelta(hours=2), REPLACED_AT + timedelta(hours=2),
            ("energy_kwh",), tz_name="Europe/Moscow",
        )  # fmt: skip
    assert [amount for _, amount in day.consumption["energy_kwh"]] == [1.0, 1.0, 1.0, 1.0]


async def test_export_adds_what_each_reading_consumed_and_keeps_the_register_exact(
    sessionmaker: Sessions, meter: tuple[int, float]
) -> None:
    device_id, last_register = meter
    out = io.StringIO(newline="")
    async with sessionmaker() as session:
        written = await export.write_csv(session, device_id, WINDOW, "Europe/Moscow", out)
    rows = list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    header = rows[0]
    assert written == READINGS
    assert header == ["time", "energy_kwh", "power_w", "voltage_v", "current_a", "energy_kwh_consumed"]
    consumed = [row[-1] for row in rows[1:]]
    assert consumed[0] == ""  # nothing before the month to count from
    assert {float(value) for value in consumed[1:]} == {PER_STEP}
    assert sum(float(value) for value in consumed[1:]) == MONTH_TOTAL
    assert float(rows[-1][1]) == last_register and rows[1][1] == "5000"


async def test_the_monthly_report_gives_consumption_day_and_night_and_the_registers(
    sessionmaker: Sessions, meter: tuple[int, float]
) -> None:
    device_id, last_register = meter
    async with sessionmaker() as session:
        data = await report.monthly(
            session, device_id, (2026, 10), "Europe/Moscow", datetime(2026, 11, 5, tzinfo=UTC)
        )
    (use,) = data.use
    assert use.metric == "energy_kwh"
    assert (use.month.total, use.month.night, use.month.day) == (
        MONTH_TOTAL,
        NIGHT_TOTAL,
        MONTH_TOTAL - NIGHT_TOTAL,
    )
    assert (use.month.start_value, use.month.end_value) == (5000.0, last_register)
    assert sum(amount for _, amount in use.daily) == MONTH_TOTAL

    pdf = render_report(data, "en")
    # The consumption page, the summary, and the daily power, voltage and current.
    assert pdf.startswith(b"%PDF") and len(PAGE.findall(pdf)) == 3


LATE_DAY = datetime(2026, 11, 10, 10, tzinfo=UTC)  # 13:00 in Moscow


def _at(minute: int, register: float, device_id: int) -> Row:
    moment = LATE_DAY + timedelta(minutes=minute)
    return telemetry_store.row(device_id, moment, {"energy_kwh": register, "power_w": 6000.0})


async def test_a_reset_inside_an_hour_and_late_readings_give_each_hour_its_exact_increase(
    sessionmaker: Sessions, database_url: str
) -> None:
    """0.1 kWh a minute; the meter is swapped at 11:26 UTC (its new register counts from zero). Readings
    arrive in four folds, the last two bringing late ones (11:25 just before the swap, with a redelivered
    one; then 10:55): each hour's bar counts every reading's increase since the one before it, in the hour of
    the later reading, a drop counted as a reset."""
    device_id = await pair_device(sessionmaker, device_type="meter", name="Workshop")
    old = {m: 100 + 0.1 * m for m in (0, 10, 20, 30, 40, 50, 55, 60, 70, 80, 85)}  # minutes from 10:00
    new = {m: round(0.1 * (m - 86), 1) for m in (90, 100, 110, 120, 130)}
    first = [_at(m, v, device_id) for m, v in old.items() if m not in (55, 85)]
    second = [_at(m, v, device_id) for m, v in new.items()]
    third = [_at(85, old[85], device_id), second[1]]
    fourth = [_at(55, old[55], device_id)]  # changes where 11:00's increase starts from, in the next hour
    for rows in (first, second, third, fourth):
        await store(database_url, rows)  # each call folds the rollup, as the processor does every 5 s

    # 13:00 Moscow: ten minutes' steps of 1 kWh from 10:10 to 10:50, then 0.5 to the late 10:55 (the first
    # reading has none before it). 14:00: 0.5 from 10:55, 1 + 1, 0.5 to the late 11:25, 0.4 on the new
    # register (a reset, not -108.1), 1 + 1. 15:00: 1, 12:10 being past the window's end.
    expected = [5.5, 5.4, 1.0]
    window = (LATE_DAY, LATE_DAY + timedelta(hours=2, minutes=5))
    async with sessionmaker() as session:
        data = await history.load(session, device_id, *window, ("energy_kwh",), tz_name="Europe/Moscow")
        raw = await consumption.steps(session, device_id, "energy_kwh", *window)
        hourly = await _rollup_increases(session, device_id)
    bars = data.consumption["energy_kwh"]
    assert [bucket.hour for bucket, _ in bars] == [13, 14, 15]
    assert [round(amount, 9) for _, amount in bars] == expected
    # The whole hours came from the rollup, and it holds exactly what the readings say.
    assert hourly == [(10, pytest.approx(5.5)), (11, pytest.approx(5.4)), (12, pytest.approx(2.0))]
    by_hour = consumption.per_bucket(raw, MOSCOW, "hour")
    assert [round(amount, 9) for _, amount in by_hour] == expected


async def _rollup_increases(session: AsyncSession, device_id: int) -> list[tuple[int, float]]:
    rows = await session.execute(
        text(
            "SELECT extract(hour FROM bucket AT TIME ZONE 'UTC')::int, increase FROM telemetry_hourly"
            " WHERE device_id = :d AND metric = 'energy_kwh' ORDER BY bucket"
        ),
        {"d": device_id},
    )
    return [(hour, increase) for hour, increase in rows]
