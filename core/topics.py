"""MQTT topic names (SPEC section 3): the one place that builds and parses them."""

from __future__ import annotations

import re

UID_PATTERN = re.compile(r"[A-Za-z0-9_-]{3,64}")

# device → server
TELEMETRY = "telemetry"
STATUS = "status"
EVENTS = "events"
# server → device
CONFIG = "config"
COMMANDS = "commands"
OTA = "ota"

DEVICE_INBOUND = (TELEMETRY, STATUS, EVENTS)


def device_topic(uid: str, kind: str) -> str:
    return f"devices/{uid}/{kind}"


def provision_request(uid: str) -> str:
    return f"provision/{uid}/request"


def provision_response(uid: str) -> str:
    return f"provision/{uid}/response"


def server_subscriptions(shared_group: str = "") -> list[str]:
    """What the processor subscribes to; with a group, through MQTT shared subscriptions."""
    filters = [device_topic("+", kind) for kind in DEVICE_INBOUND] + [provision_request("+")]
    if shared_group:
        return [f"$share/{shared_group}/{topic_filter}" for topic_filter in filters]
    return filters


def parse(topic: str) -> tuple[str, str] | None:
    """(uid, kind) for a device→server topic, kind being telemetry/status/events/provision; else None."""
    parts = topic.split("/")
    if len(parts) != 3 or not UID_PATTERN.fullmatch(parts[1]):
        return None
    root, uid, leaf = parts
    if root == "devices" and leaf in DEVICE_INBOUND:
        return uid, leaf
    if root == "provision" and leaf == "request":
        return uid, "provision"
    return None
