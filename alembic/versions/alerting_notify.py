"""alerting_notify: NOTIFY alerting_changed (payload: device id) whenever a rule, a device's alerts switch or
a stored alert state changes

The processor keeps rules and states in memory (core.services.alerting.RuleBook) and reloads a device's
entries on this signal. Triggers rather than a NOTIFY in each service: every writer is covered, including an
operator's UPDATE in psql, and PostgreSQL folds repeats of one payload within a transaction into one signal.

Revision ID: alerting_notify
Revises: counter_rollup
"""

from collections.abc import Sequence

from alembic import op

revision: str = "alerting_notify"
down_revision: str | None = "counter_rollup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel is core.notify.ALERTING_CHANGED.
FUNCTIONS = (
    """
CREATE FUNCTION alerting_changed_by_device() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('alerting_changed', OLD.device_id::text);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('alerting_changed', NEW.device_id::text);
    END IF;
    RETURN NULL;
END $$
""",
    """
CREATE FUNCTION alerting_changed_by_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('alerting_changed', r.device_id::text)
    FROM alert_rules r WHERE r.id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.rule_id ELSE NEW.rule_id END);
    RETURN NULL;
END $$
""",
)
TRIGGERS = (
    """
CREATE TRIGGER alert_rules_alerting_changed AFTER INSERT OR UPDATE OR DELETE ON alert_rules
FOR EACH ROW EXECUTE FUNCTION alerting_changed_by_device()
""",
    # Only the alerts switch matters here: the processor itself bumps other columns (versions) all the time.
    """
CREATE TRIGGER device_configs_alerting_changed AFTER UPDATE OF alerts_enabled ON device_configs
FOR EACH ROW WHEN (OLD.alerts_enabled IS DISTINCT FROM NEW.alerts_enabled)
EXECUTE FUNCTION alerting_changed_by_device()
""",
    """
CREATE TRIGGER device_configs_alerting_added AFTER INSERT OR DELETE ON device_configs
FOR EACH ROW EXECUTE FUNCTION alerting_changed_by_device()
""",
    """
CREATE TRIGGER alert_states_alerting_changed AFTER INSERT OR UPDATE OR DELETE ON alert_states
FOR EACH ROW EXECUTE FUNCTION alerting_changed_by_state()
""",
)


def upgrade() -> None:
    for statement in (*FUNCTIONS, *TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER alert_states_alerting_changed ON alert_states")
    op.execute("DROP TRIGGER device_configs_alerting_added ON device_configs")
    op.execute("DROP TRIGGER device_configs_alerting_changed ON device_configs")
    op.execute("DROP TRIGGER alert_rules_alerting_changed ON alert_rules")
    op.execute("DROP FUNCTION alerting_changed_by_state()")
    op.execute("DROP FUNCTION alerting_changed_by_device()")
