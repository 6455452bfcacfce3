"""initial schema: every table, telemetry partitioning and rollup, device types

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 18:09:40.700366
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Daily partitions, bounded in UTC. Creating one that another processor just created is not an error.
PARTITION_FUNCTIONS = (
    """
CREATE FUNCTION telemetry_ensure_partition(day date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    part text := 'telemetry_' || to_char(day, 'YYYYMMDD');
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN;
    END IF;
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF telemetry FOR VALUES FROM (%L) TO (%L)',
        part, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
EXCEPTION WHEN duplicate_table THEN
    NULL;
END $$
""",
    """
CREATE FUNCTION telemetry_ensure_partitions(first_day date, last_day date) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR d IN 0 .. (last_day - first_day) LOOP
        PERFORM telemetry_ensure_partition(first_day + d);
    END LOOP;
END $$
""",
    # Retention: drops whole days older than `keep_from`; returns how many partitions went.
    """
CREATE FUNCTION telemetry_drop_partitions_before(keep_from date) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    part record;
    dropped integer := 0;
BEGIN
    FOR part IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'telemetry'::regclass
          AND c.relname ~ '^telemetry_[0-9]{8}$'
          AND to_date(substr(c.relname, 11), 'YYYYMMDD') < keep_from
    LOOP
        EXECUTE format('DROP TABLE %I', part.relname);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END $$
""",
)

DROP_PARTITION_FUNCTIONS = (
    "DROP FUNCTION IF EXISTS telemetry_drop_partitions_before(date)",
    "DROP FUNCTION IF EXISTS telemetry_ensure_partitions(date, date)",
    "DROP FUNCTION IF EXISTS telemetry_ensure_partition(date)",
)


def _rule(metric, direction, threshold, clear_level, critical=None, hold_seconds=60):
    return {
        "metric": metric,
        "direction": direction,
        "threshold": threshold,
        "clear_level": clear_level,
        "hold_seconds": hold_seconds,
        "critical": critical,
    }


_CO2 = _rule("co2", "above", 1000, 900, critical=2000)
_PM25 = _rule("pm25", "above", 35, 25, critical=150)
_COMFORT = [
    _rule("temperature", "above", 28, 27, hold_seconds=300),
    _rule("temperature", "below", 16, 17, hold_seconds=300),
    _rule("humidity", "above", 70, 65, hold_seconds=300),
    _rule("humidity", "below", 25, 30, hold_seconds=300),
]

DEVICE_TYPES = [
    {
        "code": "co2",
        "name": "CO2 monitor",
        "sensors": ["co2", "temperature", "humidity"],
        "default_config": {"report_interval": 30, "alert_rules": [_CO2, *_COMFORT]},
    },
    {
        "code": "multi",
        "name": "Air quality monitor",
        "sensors": ["co2", "temperature", "humidity", "pm25", "voc"],
        "default_config": {"report_interval": 30, "alert_rules": [_CO2, _PM25, *_COMFORT]},
    },
    {
        "code": "temp",
        "name": "Climate sensor",
        "sensors": ["temperature", "humidity"],
        "default_config": {"report_interval": 60, "alert_rules": _COMFORT},
    },
    {
        "code": "dust",
        "name": "PM2.5 sensor",
        "sensors": ["pm25"],
        "default_config": {"report_interval": 30, "alert_rules": [_PM25]},
    },
]


def upgrade() -> None:
    op.create_table('device_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('sensors', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('default_config', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_types')),
    sa.UniqueConstraint('code', name=op.f('uq_device_types_code'))
    )
    op.create_table('telemetry',
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('co2', sa.REAL(), nullable=True),
    sa.Column('temperature', sa.REAL(), nullable=True),
    sa.Column('humidity', sa.REAL(), nullable=True),
    sa.Column('pm25', sa.REAL(), nullable=True),
    sa.Column('voc', sa.REAL(), nullable=True),
    sa.PrimaryKeyConstraint('device_id', 'ts', name=op.f('pk_telemetry')),
    postgresql_partition_by='RANGE (ts)'
    )
    op.create_table('telemetry_hourly_pending',
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('co2', sa.REAL(), nullable=True),
    sa.Column('temperature', sa.REAL(), nullable=True),
    sa.Column('humidity', sa.REAL(), nullable=True),
    sa.Column('pm25', sa.REAL(), nullable=True),
    sa.Column('voc', sa.REAL(), nullable=True)
    )
    op.create_table('telemetry_hourly',
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.DateTime(timezone=True), nullable=False),
    sa.Column('metric', sa.String(length=16), nullable=False),
    sa.Column('min', sa.Double(), nullable=False),
    sa.Column('max', sa.Double(), nullable=False),
    sa.Column('sum', sa.Double(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'bucket', 'metric', name=op.f('pk_telemetry_hourly'))
    )
    op.create_table('devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_uid', sa.String(length=64), nullable=False),
    sa.Column('device_type', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('location', sa.String(length=100), nullable=True),
    sa.Column('firmware_version', sa.String(length=32), nullable=True),
    sa.Column('last_ip', sa.String(length=64), nullable=True),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_online', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('offline_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('offline_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['device_type'], ['device_types.code'], name=op.f('fk_devices_device_type_device_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('device_uid', name=op.f('uq_devices_device_uid'))
    )
    op.create_table('firmware',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_type', sa.String(length=32), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('checksum', sa.String(length=64), nullable=True),
    sa.Column('signature', sa.Text(), nullable=True),
    sa.Column('changelog', sa.Text(), nullable=True),
    sa.Column('is_stable', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['device_type'], ['device_types.code'], name=op.f('fk_firmware_device_type_device_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firmware'))
    )
    op.create_table('alert_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=16), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('threshold', sa.Double(), nullable=False),
    sa.Column('clear_level', sa.Double(), nullable=False),
    sa.Column('hold_seconds', sa.Integer(), server_default='60', nullable=False),
    sa.Column('critical', sa.Double(), nullable=True),
    sa.Column('enabled', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.CheckConstraint("direction IN ('above', 'below')", name=op.f('ck_alert_rules_direction')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_alert_rules_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_rules')),
    sa.UniqueConstraint('device_id', 'metric', 'direction', name=op.f('uq_alert_rules_device_id'))
    )
    op.create_table('device_configs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('report_interval', sa.Integer(), server_default='30', nullable=False),
    sa.Column('alerts_enabled', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('co2_threshold', sa.Integer(), server_default='1000', nullable=False),
    sa.Column('night_mode_start', sa.SmallInteger(), nullable=True),
    sa.Column('night_mode_end', sa.SmallInteger(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('published_version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('applied_version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_device_configs_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_configs')),
    sa.UniqueConstraint('device_id', name=op.f('uq_device_configs_device_id'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('telegram_id', sa.BigInteger(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('language', sa.String(length=8), server_default='en', nullable=False),
    sa.Column('timezone', sa.String(length=64), server_default='Europe/Moscow', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('current_device_id', sa.Integer(), nullable=True),
    sa.Column('digest_enabled', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('digest_hour', sa.SmallInteger(), server_default='8', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['current_device_id'], ['devices.id'], name=op.f('fk_users_current_device_id_devices'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('telegram_id', name=op.f('uq_users_telegram_id'))
    )
    op.create_table('alert_states',
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), server_default='ok', nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_value', sa.Double(), nullable=True),
    sa.Column('peak_value', sa.Double(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['alert_rules.id'], name=op.f('fk_alert_states_rule_id_alert_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rule_id', name=op.f('pk_alert_states'))
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=50), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('value', sa.REAL(), nullable=True),
    sa.Column('threshold', sa.REAL(), nullable=True),
    sa.Column('held', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('is_read', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_alerts_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alerts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    op.create_index('ix_alerts_user_id_created_at', 'alerts', ['user_id', 'created_at'], unique=False)
    op.create_table('device_commands',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('command', sa.String(length=16), nullable=False),
    sa.Column('args', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result_ok', sa.Boolean(), nullable=True),
    sa.Column('result', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_device_commands_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_device_commands_requested_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_commands'))
    )
    op.create_index('ix_device_commands_device_id', 'device_commands', ['device_id'], unique=False)
    op.create_index('ix_device_commands_unpublished', 'device_commands', ['created_at'], unique=False, postgresql_where=sa.text('published_at IS NULL'))
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_invitations_created_by_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_invitations_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['used_by'], ['users.id'], name=op.f('fk_invitations_used_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    op.create_table('pairing_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pairing_attempts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pairing_attempts'))
    )
    op.create_index('ix_pairing_attempts_user_id_created_at', 'pairing_attempts', ['user_id', 'created_at'], unique=False)
    op.create_table('pairing_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.Integer(), nullable=True),
    sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_pairing_codes_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['used_by'], ['users.id'], name=op.f('fk_pairing_codes_used_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pairing_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_pairing_codes_code'))
    )
    op.create_index('ix_pairing_codes_device_id', 'pairing_codes', ['device_id'], unique=False)
    op.create_table('user_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), server_default='viewer', nullable=False),
    sa.Column('notifications', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('muted_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('owner', 'admin', 'viewer')", name=op.f('ck_user_devices_role')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_user_devices_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_devices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_devices')),
    sa.UniqueConstraint('user_id', 'device_id', name=op.f('uq_user_devices_user_id'))
    )
    op.create_index('ix_user_devices_device_id', 'user_devices', ['device_id'], unique=False)
    op.create_index('uq_user_devices_one_owner', 'user_devices', ['device_id'], unique=True, postgresql_where=sa.text("role = 'owner'"))
    op.create_table('live_watchers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_live_watchers_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_watchers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_watchers')),
    sa.UniqueConstraint('user_id', 'device_id', name=op.f('uq_live_watchers_user_id'))
    )
    op.create_index('ix_live_watchers_device_id_expires_at', 'live_watchers', ['device_id', 'expires_at'], unique=False)
    op.create_index(op.f('ix_live_watchers_session_id'), 'live_watchers', ['session_id'], unique=False)
    op.create_table('notification_outbox',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('telegram_message_id', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('dedup_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_notification_outbox_alert_id_alerts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_outbox_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_outbox')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_notification_outbox_dedup_key'))
    )
    op.create_index('ix_notification_outbox_pending', 'notification_outbox', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status IN ('pending', 'sending')"))

    for statement in PARTITION_FUNCTIONS:
        op.execute(statement)
    op.execute("SELECT telemetry_ensure_partitions(current_date - 2, current_date + 7)")
    device_types = sa.table(
        "device_types",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("sensors", postgresql.JSONB),
        sa.column("default_config", postgresql.JSONB),
    )
    op.bulk_insert(device_types, DEVICE_TYPES)


def downgrade() -> None:
    for statement in DROP_PARTITION_FUNCTIONS:
        op.execute(statement)
    op.drop_index('ix_notification_outbox_pending', table_name='notification_outbox', postgresql_where=sa.text("status IN ('pending', 'sending')"))
    op.drop_table('notification_outbox')
    op.drop_index('uq_user_devices_one_owner', table_name='user_devices', postgresql_where=sa.text("role = 'owner'"))
    op.drop_index('ix_user_devices_device_id', table_name='user_devices')
    op.drop_index(op.f('ix_live_watchers_session_id'), table_name='live_watchers')
    op.drop_index('ix_live_watchers_device_id_expires_at', table_name='live_watchers')
    op.drop_table('live_watchers')
    op.drop_table('user_devices')
    op.drop_index('ix_pairing_codes_device_id', table_name='pairing_codes')
    op.drop_table('pairing_codes')
    op.drop_index('ix_pairing_attempts_user_id_created_at', table_name='pairing_attempts')
    op.drop_table('pairing_attempts')
    op.drop_table('invitations')
    op.drop_index('ix_device_commands_unpublished', table_name='device_commands', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_index('ix_device_commands_device_id', table_name='device_commands')
    op.drop_table('device_commands')
    op.drop_index('ix_alerts_user_id_created_at', table_name='alerts')
    op.drop_table('alerts')
    op.drop_table('alert_states')
    op.drop_table('users')
    op.drop_table('device_configs')
    op.drop_table('alert_rules')
    op.drop_table('firmware')
    op.drop_table('devices')
    op.drop_table('telemetry_hourly')
    op.drop_table('telemetry_hourly_pending')
    op.drop_table('telemetry')
    op.drop_table('device_types')
