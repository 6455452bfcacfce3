"""operators: users blocked by an operator, broadcasts (delivered as outbox rows), node health, error reports

Revision ID: ops
Revises: billing
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'ops'
down_revision: str | None = 'billing'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('users', sa.Column('blocked_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('broadcasts',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('photo', sa.String(length=256), nullable=True),
    sa.Column('audience', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='sending', nullable=False),
    sa.Column('total', sa.Integer(), server_default='0', nullable=False),
    sa.Column('progress_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('progress_message_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_broadcasts_author_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts')),
    )
    op.add_column('notification_outbox', sa.Column('broadcast_id', sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f('fk_notification_outbox_broadcast_id_broadcasts'), 'notification_outbox', 'broadcasts',
        ['broadcast_id'], ['id'], ondelete='CASCADE',
    )
    op.create_index(
        'uq_notification_outbox_broadcast_recipient', 'notification_outbox', ['broadcast_id', 'user_id'],
        unique=True, postgresql_where=sa.text('broadcast_id IS NOT NULL'),
    )
    op.create_table('node_health',
    sa.Column('program', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('program', name=op.f('pk_node_health')),
    )
    op.create_table('error_reports',
    sa.Column('kind', sa.String(length=200), nullable=False),
    sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('repeats', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_error_reports')),
    )
    # BRIN: a few pages, nearly free to maintain on append-ordered rows; lets /admin count recent readings.
    op.create_index('ix_telemetry_ts_brin', 'telemetry', ['ts'], postgresql_using='brin')
    op.create_index('ix_telemetry_hourly_bucket_brin', 'telemetry_hourly', ['bucket'], postgresql_using='brin')


def downgrade() -> None:
    op.drop_index('ix_telemetry_hourly_bucket_brin', table_name='telemetry_hourly')
    op.drop_index('ix_telemetry_ts_brin', table_name='telemetry')
    op.drop_table('error_reports')
    op.drop_table('node_health')
    op.drop_index('uq_notification_outbox_broadcast_recipient', table_name='notification_outbox')
    op.drop_constraint(op.f('fk_notification_outbox_broadcast_id_broadcasts'), 'notification_outbox', type_='foreignkey')
    op.drop_column('notification_outbox', 'broadcast_id')
    op.drop_table('broadcasts')
    op.drop_column('users', 'blocked_at')
