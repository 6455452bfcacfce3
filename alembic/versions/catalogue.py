"""catalogue: the meter and host device types (SPEC 3a), their metrics as telemetry columns, agent tokens

Storage choice: one nullable column per catalogue metric, in `telemetry` and `telemetry_hourly_pending`.
A mixed fleet writes rows where most metric columns are NULL, and PostgreSQL stores a NULL as one bit of the
row's null bitmap: a CO2 reading costs the same bytes as before (13 metrics need a 2-byte bitmap instead of
1, absorbed by alignment), COPY and the conflict-skip insert keep their shape, and reading one metric of one
device stays a plain column read. The alternatives were slower where it matters: a jsonb of extra metrics
costs a parse on every write and a detoast/lookup on every read and rollup, and a real[] loses the names and
forces every query to know positions. Adding a column to a partitioned table is a catalogue-only change
(no rewrite) in PostgreSQL ≥ 11, so this migration is instant on a full table. The meter's register
(`energy_kwh`) is double precision: a real keeps only ~7 digits, i.e. 0.01 kWh at 100 000 kWh.

`agent_tokens`: the bearer token of a device that speaks HTTP (Telegraf), stored only as its SHA-256; at most
one live token per device, revoked (kept, with revoked_at) when the device is removed.

Revision ID: catalogue
Revises: ops
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'catalogue'
down_revision: str | None = 'ops'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of core.catalogue as of this revision (a migration must not change when the code does).
_GAUGES = ('power_w', 'voltage_v', 'current_a', 'cpu_percent', 'mem_percent', 'disk_percent', 'load1')
_COUNTERS = ('energy_kwh',)


def _rule(metric, direction, threshold, clear_level, hold_seconds, critical=None):
    return {
        'metric': metric, 'direction': direction, 'threshold': threshold, 'clear_level': clear_level,
        'hold_seconds': hold_seconds, 'critical': critical,
    }


_TYPES = [
    {
        'code': 'meter',
        'name': 'Electricity meter',
        'sensors': ['energy_kwh', 'power_w', 'voltage_v', 'current_a'],
        'default_config': {
            'report_interval': 60,
            'alert_rules': [
                _rule('power_w', 'above', 7000, 6000, 300),
                _rule('voltage_v', 'above', 253, 248, 60),
                _rule('voltage_v', 'below', 207, 212, 60),
            ],
        },
    },
    {
        'code': 'host',
        'name': 'Computer',
        'sensors': ['cpu_percent', 'mem_percent', 'disk_percent', 'load1', 'temperature'],
        'default_config': {
            'report_interval': 10,
            'alert_rules': [
                _rule('cpu_percent', 'above', 90, 80, 300),
                _rule('mem_percent', 'above', 90, 85, 300),
                _rule('disk_percent', 'above', 90, 85, 300),
            ],
        },
    },
]


def upgrade() -> None:
    for table in ('telemetry', 'telemetry_hourly_pending'):
        for name in _COUNTERS:
            op.add_column(table, sa.Column(name, sa.Double(), nullable=True))
        for name in _GAUGES:
            op.add_column(table, sa.Column(name, sa.REAL(), nullable=True))
    device_types = sa.table(
        'device_types',
        sa.column('code', sa.String), sa.column('name', sa.String),
        sa.column('sensors', postgresql.JSONB), sa.column('default_config', postgresql.JSONB),
    )
    op.bulk_insert(device_types, _TYPES)
    op.create_table('agent_tokens',
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_agent_tokens_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_agent_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_agent_tokens_token_hash')),
    )


def downgrade() -> None:
    op.drop_table('agent_tokens')
    codes = ', '.join(f"'{t['code']}'" for t in _TYPES)
    op.execute(f'DELETE FROM devices WHERE device_type IN ({codes})')
    op.execute(f'DELETE FROM device_types WHERE code IN ({codes})')
    for table in ('telemetry', 'telemetry_hourly_pending'):
        for name in (*_COUNTERS, *_GAUGES):
            op.drop_column(table, name)
