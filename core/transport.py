"""How a device reaches us: over MQTT (the broker), or over HTTP as an agent (SPEC 3a: Telegraf).

An agent never connects to the broker, so nothing MQTT is meant for it: no broker account, retained config,
pairing answer, command or firmware document. What tells it is its uid: core.services.agents makes agents'
uids with AGENT_UID_PREFIX, and MQTT provisioning refuses uids with that prefix (processor.provisioning), so
the uid alone is the fact, with no column to keep in step.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from core.models import Device

AGENT_UID_PREFIX = "http-"
# For text() queries: `d.device_uid NOT LIKE :agent_uids` with this bound ('_' and '%' are not in the
# prefix, so the pattern needs no escaping).
AGENT_UIDS = {"agent_uids": AGENT_UID_PREFIX + "%"}


class MqttOnly(Exception):
    """What was asked travels over MQTT (a command, a firmware update), and this device speaks HTTP."""

    reason = "mqtt-only"


def is_agent(uid: str) -> bool:
    """True for a device paired over HTTP: it never connects to the broker."""
    return uid.startswith(AGENT_UID_PREFIX)


def speaks_mqtt() -> ColumnElement[bool]:
    """Query condition on `devices`: the device is not an HTTP agent."""
    return ~Device.device_uid.startswith(AGENT_UID_PREFIX)
