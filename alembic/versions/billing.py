"""billing: device ownership history, invoices, payment attempts, payments (applied once), cards, refunds, pauses

Revision ID: billing
Revises: 0001
Create Date: 2026-11-30 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'billing'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every way an owner link can appear, move or go (pairing, removal, a transfer, a cascade) passes through
# user_devices, so the ownership history is written here rather than trusted to each service.
OWNERSHIP_FUNCTION = """
CREATE FUNCTION device_ownership_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.role = NEW.role AND OLD.user_id = NEW.user_id
            AND OLD.device_id = NEW.device_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.role = 'owner' THEN
        UPDATE device_ownerships SET ended_at = now()
        WHERE device_id = OLD.device_id AND user_id = OLD.user_id AND ended_at IS NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.role = 'owner' THEN
        INSERT INTO device_ownerships (device_id, user_id, started_at) VALUES (NEW.device_id, NEW.user_id, now());
    END IF;
    RETURN NULL;
END $$
"""
OWNERSHIP_TRIGGER = """
CREATE TRIGGER user_devices_ownership
AFTER INSERT OR UPDATE OR DELETE ON user_devices
FOR EACH ROW EXECUTE FUNCTION device_ownership_log()
"""


def upgrade() -> None:
    op.create_table('device_ownerships',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_device_ownerships_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_device_ownerships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_ownerships'))
    )
    op.create_index('ix_device_ownerships_user_id', 'device_ownerships', ['user_id'], unique=False)
    op.create_index('uq_device_ownerships_open', 'device_ownerships', ['device_id'], unique=True, postgresql_where=sa.text('ended_at IS NULL'))
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('devices', sa.Integer(), nullable=False),
    sa.Column('lines', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='open', nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'paid', 'cancelled')", name=op.f('ck_invoices_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_invoices_amount')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_invoices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('user_id', 'month', name=op.f('uq_invoices_user_id'))
    )
    op.create_table('payment_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('yookassa_id', sa.String(length=64), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('idempotence_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('confirmation_url', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payment_attempts_invoice_id_invoices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_attempts')),
    sa.UniqueConstraint('idempotence_key', name=op.f('uq_payment_attempts_idempotence_key')),
    sa.UniqueConstraint('yookassa_id', name=op.f('uq_payment_attempts_yookassa_id'))
    )
    op.create_index(op.f('ix_payment_attempts_invoice_id'), 'payment_attempts', ['invoice_id'], unique=False)
    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('yookassa_id', sa.String(length=64), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payments_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_payments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('yookassa_id', name=op.f('uq_payments_yookassa_id'))
    )
    op.create_index(op.f('ix_payments_invoice_id'), 'payments', ['invoice_id'], unique=False)
    op.create_index(op.f('ix_payments_user_id'), 'payments', ['user_id'], unique=False)
    op.create_table('payment_methods',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('yookassa_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=64), nullable=False),
    sa.Column('autopay', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_payment_methods_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_payment_methods'))
    )
    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('yookassa_id', sa.String(length=64), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id_payments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('yookassa_id', name=op.f('uq_refunds_yookassa_id'))
    )
    op.create_index(op.f('ix_refunds_payment_id'), 'refunds', ['payment_id'], unique=False)
    op.create_table('billing_pauses',
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_billing_pauses_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_billing_pauses_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_billing_pauses_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_billing_pauses'))
    )
    op.create_index(op.f('ix_billing_pauses_user_id'), 'billing_pauses', ['user_id'], unique=False)
    op.execute(OWNERSHIP_FUNCTION)
    op.execute(OWNERSHIP_TRIGGER)
    # Owners from before billing existed: their ownership started when they paired.
    op.execute(
        "INSERT INTO device_ownerships (device_id, user_id, started_at)"
        " SELECT device_id, user_id, created_at FROM user_devices WHERE role = 'owner'"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER user_devices_ownership ON user_devices")
    op.execute("DROP FUNCTION device_ownership_log()")
    op.drop_table('billing_pauses')
    op.drop_table('refunds')
    op.drop_table('payment_methods')
    op.drop_table('payments')
    op.drop_table('payment_attempts')
    op.drop_table('invoices')
    op.drop_table('device_ownerships')
