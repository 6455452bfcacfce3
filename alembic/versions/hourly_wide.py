"""hourly_wide: the hourly rollup is stored as one row per device and hour (telemetry_hourly_wide, columns per
metric), and telemetry_hourly becomes a view of it with the same columns as before (one row per device, hour
and metric with readings)

Why: the fold rewrites the rollup row of every device and hour that got readings since the last fold. With a
row per metric, an air monitor's reading cost five row updates (five index probes, five new row versions);
now it costs one. Fold CPU per pending reading (bench/ingest_findings.md): 50 → 15 µs when each device reports
once per fold (production: a report every 30 s, a fold every 5 s), 13 → 6 µs with six reports per fold.
Readers (history, consumption, export, the admin dashboard) keep querying telemetry_hourly: the view unpivots
a row into its metrics with readings, and a query for one device and period reads that device's rows only
(the conditions on device_id and bucket reach the table's primary key).

A metric added to the catalogue later needs its columns here and the view recreated (its own migration).
Columns per metric: <metric>_min, _max, _sum (double precision, as before), _count (0: no readings of that
metric in the hour); a counter also _first_ts, _first_value, _last_ts, _last_value, _rise, _increase.
Half of each page free (fillfactor 50) so the fold's updates stay HOT, as the hot_updates revision did for
the old table.

Revision ID: hourly_wide
Revises: offline_index
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'hourly_wide'
down_revision: str | None = 'offline_index'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of core.catalogue as of this revision (a migration must not change when the code does).
_GAUGES = (
    'co2', 'temperature', 'humidity', 'pm25', 'voc', 'power_w', 'voltage_v', 'current_a', 'cpu_percent',
    'mem_percent', 'disk_percent', 'load1',
)
_COUNTERS = ('energy_kwh',)
_METRICS = _GAUGES + _COUNTERS
_AGGREGATES = (('min', 'double precision'), ('max', 'double precision'), ('sum', 'double precision'))
_COUNTER_PARTS = (
    ('first_ts', 'timestamptz'), ('first_value', 'double precision'), ('last_ts', 'timestamptz'),
    ('last_value', 'double precision'), ('rise', 'double precision'), ('increase', 'double precision'),
)
# The view's columns after device_id, bucket and metric: what the table had, in its order.
_VIEW_PARTS = ('min', 'max', 'sum', 'count', *(part for part, _ in _COUNTER_PARTS))


def _column_ddl(metric: str) -> list[str]:
    columns = [f'{metric}_{part} {kind}' for part, kind in _AGGREGATES]
    columns.append(f'{metric}_count integer NOT NULL DEFAULT 0')
    if metric in _COUNTERS:
        columns += [f'{metric}_{part} {kind}' for part, kind in _COUNTER_PARTS]
    return columns


def _view_row(metric: str) -> str:
    values = [f"'{metric}'::varchar(16)"]
    for part in _VIEW_PARTS:
        if part == 'count':
            values.append(f'w.{metric}_count::bigint')
        elif part in ('min', 'max', 'sum') or metric in _COUNTERS:
            values.append(f'w.{metric}_{part}')
        else:
            values.append('NULL::timestamptz' if part.endswith('_ts') else 'NULL::double precision')
    return f"({', '.join(values)})"


_CREATE_VIEW = f"""
CREATE VIEW telemetry_hourly AS
SELECT w.device_id, w.bucket, m.metric, {', '.join(f'm.{part}' for part in _VIEW_PARTS)}
FROM telemetry_hourly_wide AS w
CROSS JOIN LATERAL (VALUES
    {(',' + chr(10) + '    ').join(_view_row(metric) for metric in _METRICS)}
) AS m(metric, {', '.join(_VIEW_PARTS)})
WHERE m.count > 0
"""


def _pivoted(metric: str) -> list[str]:
    where = f"FILTER (WHERE metric = '{metric}')"
    parts = [f'max({part}) {where}' for part in ('min', 'max', 'sum')]
    parts.append(f'coalesce(max(count) {where}, 0)')
    if metric in _COUNTERS:
        parts += [f'max({part}) {where}' for part, _ in _COUNTER_PARTS]
    return parts


def _wide_columns(metric: str) -> list[str]:
    parts = [part for part, _ in _AGGREGATES] + ['count']
    if metric in _COUNTERS:
        parts += [part for part, _ in _COUNTER_PARTS]
    return [f'{metric}_{part}' for part in parts]


def upgrade() -> None:
    columns = ',\n    '.join(column for metric in _METRICS for column in _column_ddl(metric))
    op.execute(f"""
CREATE TABLE telemetry_hourly_wide (
    device_id integer NOT NULL,
    bucket timestamptz NOT NULL,
    {columns},
    CONSTRAINT pk_telemetry_hourly_wide PRIMARY KEY (device_id, bucket)
) WITH (fillfactor = 50)
""")
    targets = ', '.join(column for metric in _METRICS for column in _wide_columns(metric))
    sources = ', '.join(part for metric in _METRICS for part in _pivoted(metric))
    op.execute(f"""
INSERT INTO telemetry_hourly_wide (device_id, bucket, {targets})
SELECT device_id, bucket, {sources} FROM telemetry_hourly GROUP BY device_id, bucket ORDER BY 1, 2
""")
    op.execute('DROP TABLE telemetry_hourly')
    # BRIN on bucket, as the old table had: lets /admin count recent readings without a scan of all hours.
    op.create_index(
        'ix_telemetry_hourly_wide_bucket_brin', 'telemetry_hourly_wide', ['bucket'], postgresql_using='brin'
    )
    op.execute(_CREATE_VIEW)


def downgrade() -> None:
    counter_columns = ', '.join(f'{part} {kind}' for part, kind in _COUNTER_PARTS)
    op.execute(f"""
CREATE TABLE telemetry_hourly_narrow (
    device_id integer NOT NULL,
    bucket timestamptz NOT NULL,
    metric varchar(16) NOT NULL,
    min double precision NOT NULL,
    max double precision NOT NULL,
    sum double precision NOT NULL,
    count bigint NOT NULL,
    {counter_columns},
    CONSTRAINT pk_telemetry_hourly PRIMARY KEY (device_id, bucket, metric)
) WITH (fillfactor = 50)
""")
    op.execute(
        'INSERT INTO telemetry_hourly_narrow'
        ' SELECT * FROM telemetry_hourly ORDER BY device_id, bucket, metric'
    )
    op.execute('DROP VIEW telemetry_hourly')
    op.execute('DROP TABLE telemetry_hourly_wide')
    op.execute('ALTER TABLE telemetry_hourly_narrow RENAME TO telemetry_hourly')
    op.create_index(
        'ix_telemetry_hourly_bucket_brin', 'telemetry_hourly', ['bucket'], postgresql_using='brin'
    )
