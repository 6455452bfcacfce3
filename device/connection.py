"""How a device reaches the broker: connection parameters, an aiomqtt client with a Last Will, backoff."""

from __future__ import annotations

import logging
import secrets
import ssl
from dataclasses import dataclass, replace

import aiomqtt

from core import topics
from core.retry import Backoff
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


def new_secret() -> str:
    """A device's broker password, made once on the device and kept there (43 chars of [A-Za-z0-9_-])."""
    return secrets.token_urlsafe(32)


def as_device(address: BrokerAddress, uid: str, secret: str) -> BrokerAddress:
    """The address logged in as the device itself: username `{uid}`, password its secret."""
    return replace(address, username=uid, password=secret)


def not_authorised(error: aiomqtt.MqttError) -> bool:
    """The broker refused the login (no account for us, or a revoked one), rather than being unreachable."""
    return getattr(getattr(error, "rc", None), "value", None) in (5, 135)


async def ask_for_code(address: BrokerAddress, uid: str, request: bytes) -> None:
    """Anonymously publish `provision/{uid}/request` (with the secret): all an anonymous client may do."""
    async with make_client(replace(address, username="", password=""), f"{uid}-ask") as client:
        await client.publish(topics.provision_request(uid), request, qos=1, timeout=10)


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


def reconnect_backoff(ceiling: float = 30.0) -> Backoff:
    """Reconnect delays from 1 s up to `ceiling`, with jitter so a fleet does not reconnect in lockstep."""
    return Backoff(first=1.0, ceiling=ceiling, jitter=0.2)
