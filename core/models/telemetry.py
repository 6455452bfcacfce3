"""Telemetry readings (range-partitioned by time) and their hourly rollup."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    REAL,
    BigInteger,
    Column,
    DateTime,
    Double,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.catalogue import METRIC_NAMES
from core.catalogue import METRICS as CATALOGUE
from core.models.base import Base
from core.telemetry_store import hourly_parts

METRICS = METRIC_NAMES


def _metric_type(name: str) -> type[REAL] | type[Double]:
    """REAL (4 bytes) suits a sensor's precision; a counter's register needs double (kWh to the Wh)."""
    return Double if CATALOGUE[name].is_counter else REAL


class Telemetry(Base):
    """One reading. The primary key (device_id, ts) is what makes a redelivered message a no-op.

    Partitions are created and dropped by the SQL functions `telemetry_ensure_partition(day)` and
    `telemetry_drop_partitions_before(day)` that the initial migration installs.
    """

    __tablename__ = "telemetry"
    __table_args__ = (
        PrimaryKeyConstraint("device_id", "ts"),
        # BRIN: a few pages, nearly free on rows appended in time order; /admin counts recent readings by it.
        Index("ix_telemetry_ts_brin", "ts", postgresql_using="brin"),
        {"postgresql_partition_by": "RANGE (ts)"},
    )

    # No foreign key: a partitioned table referencing devices would tax every insert at ingest rates;
    # devices are never hard-deleted while their history is kept.
    device_id: Mapped[int] = mapped_column(Integer)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # One nullable column per catalogue metric; the air ones are spelled out for typed access, the loop
    # below adds the others. A NULL costs one bit of the row's null bitmap.
    co2: Mapped[float | None] = mapped_column(REAL)
    temperature: Mapped[float | None] = mapped_column(REAL)
    humidity: Mapped[float | None] = mapped_column(REAL)
    pm25: Mapped[float | None] = mapped_column(REAL)
    voc: Mapped[float | None] = mapped_column(REAL)


class TelemetryHourly(Base):
    """min/avg/max/count per device, hour and metric; avg is sum / count. Read-only: a view of
    telemetry_hourly_wide (below), one row for each metric with readings in the hour.

    A counter's hour also holds its first and last reading, `rise` (the increase between consecutive readings
    inside the hour) and `increase`: rise plus the step from the reading before the hour, i.e. what was
    consumed in the hour, a reset counted from zero (core.telemetry_store.fold_hourly keeps them exact).
    NULL for gauges.
    """

    __tablename__ = "telemetry_hourly"
    __table_args__ = (PrimaryKeyConstraint("device_id", "bucket", "metric"), {"info": {"is_view": True}})

    device_id: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    metric: Mapped[str] = mapped_column(String(16))
    min: Mapped[float] = mapped_column(Double)
    max: Mapped[float] = mapped_column(Double)
    sum: Mapped[float] = mapped_column(Double)
    count: Mapped[int] = mapped_column(BigInteger)
    first_ts: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_value: Mapped[float | None] = mapped_column(Double)
    last_ts: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_value: Mapped[float | None] = mapped_column(Double)
    rise: Mapped[float | None] = mapped_column(Double)
    increase: Mapped[float | None] = mapped_column(Double)


def _hourly_column(name: str, part: str) -> Column[object]:
    column = f"{name}_{part}"
    if part == "count":
        return Column(column, Integer, nullable=False, server_default="0")
    return Column(column, DateTime(timezone=True) if part.endswith("_ts") else Double)


# The rollup as stored: one row per device and hour, the columns of each catalogue metric side by side
# (<metric>_count 0: no readings of it in the hour). The fold (core.telemetry_store) rewrites a device's hour
# with one row update per fold, not one per metric (an air monitor's five). Half of each page free: the
# fold's updates stay on their page (HOT, no index entry), see the hot_updates and hourly_wide migrations.
telemetry_hourly_wide = Table(
    "telemetry_hourly_wide",
    Base.metadata,
    Column("device_id", Integer, primary_key=True),
    Column("bucket", DateTime(timezone=True), primary_key=True),
    *(_hourly_column(name, part) for name in METRICS for part in hourly_parts(name)),
    Index("ix_telemetry_hourly_wide_bucket_brin", "bucket", postgresql_using="brin"),
    postgresql_with={"fillfactor": 50},
)


# Readings stored but not yet in telemetry_hourly: ingest appends every new row here in its batch's
# transaction (an unindexed append, far cheaper than upserting the rollup per reading), and a periodic fold
# (core.telemetry_store.fold_hourly) moves them into the rollup in one transaction, so each reading is
# counted exactly once. A plain Table: it has no primary key on purpose (nothing ever looks a row up).
telemetry_hourly_pending = Table(
    "telemetry_hourly_pending",
    Base.metadata,
    Column("device_id", Integer, nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    *(Column(name, _metric_type(name)) for name in METRICS),
)

for _name in METRICS:
    if _name not in Telemetry.__table__.c:
        setattr(Telemetry, _name, mapped_column(_metric_type(_name)))
