"""offline_index: a partial index of the devices with an open offline episode

Ingest asks for them with every batch (core.services.alerting._OPEN_EPISODES): a sequential scan of every
device's row, 2.3 ms a batch at 10 000 devices, 0.5 µs of PostgreSQL's time per reading at 25 000 msg/s
(bench/ingest_findings.md). The index holds only the few such devices; last_seen and is_online are not in
it, so ingest's presence updates stay HOT updates.

Revision ID: offline_index
Revises: hot_updates
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'offline_index'
down_revision: str | None = 'hot_updates'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_devices_offline', 'devices', ['id'], postgresql_where=sa.text('offline_since IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_devices_offline', table_name='devices')
