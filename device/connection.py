"""How a device reaches the broker: connection parameters, an aiomqtt client with a Last Will, backoff."""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from dataclasses import dataclass

import aiomqtt

from core import topics
from device import payloads


class _NoPendingCallsWarning(logging.Filter):
    """aiomqtt warns once per publish beyond 10 unacknowledged; a fleet connection has hundreds by design."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pending publish calls" not in record.getMessage()


_mqtt_log = logging.getLogger("device.mqtt")
_mqtt_log.addFilter(_NoPendingCallsWarning())


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str = ""
    password: str = ""
    tls: bool = False
    ca_file: str = ""


def offline_will(uid: str, firmware_version: str, ip: str | None) -> aiomqtt.Will:
    """The broker publishes this for us if we vanish: the device's status goes offline (retained)."""
    payload = payloads.status(False, firmware_version=firmware_version, ip=ip)
    return aiomqtt.Will(topics.device_topic(uid, topics.STATUS), payload, qos=1, retain=True)


def make_client(
    address: BrokerAddress, identifier: str, *, will: aiomqtt.Will | None = None, keepalive: int = 30
) -> aiomqtt.Client:
    tls_context = None
    if address.tls:
        tls_context = ssl.create_default_context(cafile=address.ca_file or None)
    return aiomqtt.Client(
        address.host,
        address.port,
        username=address.username or None,
        password=address.password or None,
        identifier=identifier,
        logger=_mqtt_log,
        will=will,
        keepalive=keepalive,
        tls_context=tls_context,
        # Devices keep no broker-side session: whatever they missed is re-sent retained (config) or buffered
        # locally (telemetry).
        clean_session=True,
        # paho's default of 20 in-flight QoS 1 messages throttles a multiplexed fleet connection.
        max_inflight_messages=1000,
        timeout=10,
    )


class Backoff:
    """Exponential reconnect delays with jitter (so a fleet does not reconnect in lockstep), capped."""

    def __init__(self, first: float = 1.0, cap: float = 30.0) -> None:
        self._first, self._cap = first, cap
        self._next = first

    def reset(self) -> None:
        self._next = self._first

    def next_delay(self) -> float:
        delay = self._next * random.uniform(0.8, 1.2)
        self._next = min(self._cap, self._next * 2)
        return delay


async def wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Sleep up to `seconds` or until `event` is set; True if it was."""
    try:
        await asyncio.wait_for(event.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
