"""counter_rollup: a counter's hourly rollup holds its increase, a reset counted from zero (issue 17)

telemetry_hourly gains, for counter metrics (NULL for gauges): the hour's first and last reading (ts, value),
`rise` (the increase between consecutive readings inside the hour) and `increase` (rise plus the step from
the last reading before the hour). Existing counter hours are filled from the readings already folded into
them (those still pending are added by the processor's next fold, as always); an hour whose readings are past
retention keeps NULLs, and the readers then count from the raw readings as before.

Revision ID: counter_rollup
Revises: ota_soak
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'counter_rollup'
down_revision: str | None = 'ota_soak'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of core.catalogue's counters as of this revision.
_COUNTERS = ('energy_kwh',)
_COLUMNS = (
    ('first_ts', sa.DateTime(timezone=True)),
    ('first_value', sa.Double()),
    ('last_ts', sa.DateTime(timezone=True)),
    ('last_value', sa.Double()),
    ('rise', sa.Double()),
    ('increase', sa.Double()),
)


def _increase(previous: str, value: str) -> str:
    return (
        f'(CASE WHEN {previous} IS NULL THEN 0 WHEN {value} >= {previous} THEN {value} - {previous}'
        f' ELSE {value} END)'
    )


def _backfill(metric: str) -> None:
    op.execute(f"""
    WITH readings AS (
        SELECT t.device_id, date_trunc('hour', t.ts, 'UTC') AS bucket, t.ts, t.{metric}::float8 AS value,
               lag(t.{metric}::float8) OVER (
                   PARTITION BY t.device_id, date_trunc('hour', t.ts, 'UTC') ORDER BY t.ts
               ) AS previous
        FROM telemetry AS t
        WHERE t.{metric} IS NOT NULL
          AND NOT EXISTS (
              SELECT 1 FROM telemetry_hourly_pending AS p WHERE p.device_id = t.device_id AND p.ts = t.ts
          )
    ), hours AS (
        SELECT device_id, bucket, min(ts) AS first_ts, (array_agg(value ORDER BY ts))[1] AS first_value,
               max(ts) AS last_ts, (array_agg(value ORDER BY ts DESC))[1] AS last_value,
               sum({_increase('previous', 'value')}) AS rise
        FROM readings GROUP BY 1, 2
    )
    UPDATE telemetry_hourly AS h SET
        first_ts = s.first_ts, first_value = s.first_value, last_ts = s.last_ts, last_value = s.last_value,
        rise = s.rise
    FROM hours AS s
    WHERE h.device_id = s.device_id AND h.bucket = s.bucket AND h.metric = '{metric}'
    """)
    op.execute(f"""
    WITH stepped AS (
        SELECT device_id, bucket,
               rise + {_increase('lag(last_value) OVER (PARTITION BY device_id ORDER BY bucket)', 'first_value')}
                   AS increase
        FROM telemetry_hourly WHERE metric = '{metric}'
    )
    UPDATE telemetry_hourly AS h SET increase = s.increase
    FROM stepped AS s
    WHERE h.device_id = s.device_id AND h.bucket = s.bucket AND h.metric = '{metric}'
    """)


def upgrade() -> None:
    for name, type_ in _COLUMNS:
        op.add_column('telemetry_hourly', sa.Column(name, type_, nullable=True))
    for metric in _COUNTERS:
        _backfill(metric)


def downgrade() -> None:
    for name, _ in reversed(_COLUMNS):
        op.drop_column('telemetry_hourly', name)
