"""ota_soak: a rollout's soak time (its next stage starts by itself this long after a stage ended within its
failure threshold; NULL = only by the operator's button) and when its current stage began

Revision ID: ota_soak
Revises: ota
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'ota_soak'
down_revision: str | None = 'ota'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rollouts started before this revision were promised manual widening: they keep it (NULL).
    op.add_column('rollouts', sa.Column('soak_seconds', sa.Integer(), nullable=True))
    op.add_column(
        'rollouts',
        sa.Column('stage_started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    )
    op.execute('UPDATE rollouts SET stage_started_at = created_at')


def downgrade() -> None:
    op.drop_column('rollouts', 'stage_started_at')
    op.drop_column('rollouts', 'soak_seconds')
