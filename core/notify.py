"""PostgreSQL NOTIFY channels: how the bot and the processor signal each other (SPEC section 1)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# payload: device uid. The processor tells the device `{"status": "paired"}`.
DEVICE_PAIRED = "device_paired"
# payload: device uid. The device was removed: the processor tells it `{"status": "unpaired"}` and takes its
# broker account back.
DEVICE_REMOVED = "device_removed"
# payload: device uid. A device's desired config changed; the processor republishes it.
CONFIG_CHANGED = "config_changed"
# payload: command id. A command is waiting to be published.
COMMAND_QUEUED = "command_queued"
# payload: rollout id. A rollout started, widened, paused, resumed or was cancelled, or one of its devices
# reported progress: the processor publishes or clears `devices/{uid}/ota` and judges the stage.
OTA_CHANGED = "ota_changed"
# payload: device id. A device confirmed a config or answered a command (recorded by the processor).
DEVICE_EVENT = "device_event"
# payload: outbox id. Something waits in notification_outbox for the bot.
OUTBOX = "outbox"
# payload: device id. A device's alert rules, its alerts switch or a stored alert state changed: the processor
# reloads that device's rules and states (core.services.alerting.RuleBook). Sent by database triggers (alembic
# revision alerting_notify), so every writer is covered without calling `notify` itself.
ALERTING_CHANGED = "alerting_changed"


async def notify(session: AsyncSession, channel: str, payload: str = "") -> None:
    """Queue a NOTIFY; PostgreSQL delivers it when the surrounding transaction commits."""
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
    )
