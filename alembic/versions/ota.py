"""ota: firmware state and file on disk, rollouts with stages, per-device targets with a hashed download token

Revision ID: ota
Revises: edge
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'ota'
down_revision: str | None = 'edge'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_column('firmware', 'is_stable')
    op.add_column('firmware', sa.Column('state', sa.String(length=12), server_default='draft', nullable=False))
    op.add_column('firmware', sa.Column('file_name', sa.String(length=128), nullable=True))
    op.add_column('firmware', sa.Column('uploaded_by', sa.BigInteger(), nullable=True))
    op.create_unique_constraint(op.f('uq_firmware_device_type'), 'firmware', ['device_type', 'version'])
    op.create_table('rollouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firmware_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('stages', postgresql.ARRAY(sa.SmallInteger()), nullable=False),
    sa.Column('stage', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('failure_threshold', sa.Integer(), server_default='0', nullable=False),
    sa.Column('timeout_seconds', sa.Integer(), server_default='1800', nullable=False),
    sa.Column('state', sa.String(length=12), server_default='running', nullable=False),
    sa.Column('started_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_rollouts_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['firmware_id'], ['firmware.id'], name=op.f('fk_rollouts_firmware_id_firmware')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollouts'))
    )
    op.create_table('rollout_targets',
    sa.Column('rollout_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.SmallInteger(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=12), server_default='pending', nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('downloaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('progress_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('progress_message_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_rollout_targets_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rollout_id'], ['rollouts.id'], name=op.f('fk_rollout_targets_rollout_id_rollouts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rollout_id', 'device_id', name=op.f('pk_rollout_targets'))
    )
    op.create_index('ix_rollout_targets_device_id', 'rollout_targets', ['device_id'], unique=False)
    op.create_index('ix_rollout_targets_token_hash', 'rollout_targets', ['token_hash'], unique=True)
    op.create_index('ix_rollout_targets_unsettled', 'rollout_targets', ['rollout_id'], unique=False, postgresql_where=sa.text('published_at IS NULL OR (finished_at IS NOT NULL AND cleared_at IS NULL)'))


def downgrade() -> None:
    op.drop_index('ix_rollout_targets_unsettled', table_name='rollout_targets', postgresql_where=sa.text('published_at IS NULL OR (finished_at IS NOT NULL AND cleared_at IS NULL)'))
    op.drop_index('ix_rollout_targets_token_hash', table_name='rollout_targets')
    op.drop_index('ix_rollout_targets_device_id', table_name='rollout_targets')
    op.drop_table('rollout_targets')
    op.drop_table('rollouts')
    op.drop_constraint(op.f('uq_firmware_device_type'), 'firmware', type_='unique')
    op.drop_column('firmware', 'uploaded_by')
    op.drop_column('firmware', 'file_name')
    op.drop_column('firmware', 'state')
    op.add_column('firmware', sa.Column('is_stable', sa.Boolean(), server_default=sa.text('false'), nullable=False))
