"""device edge: the hash of each device's broker secret (SPEC section 3, broker security)

Revision ID: edge
Revises: catalogue
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'edge'
down_revision: str | None = 'catalogue'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('devices', sa.Column('secret_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column('devices', 'secret_hash')
