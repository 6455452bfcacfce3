"""Broker accounts for devices in tests that play the server by hand (no processor): the processor's own
BrokerAccess, driven directly, so the device logs in exactly as it would in production."""

from __future__ import annotations

import asyncio
import contextlib

from core.services.broker_access import Access
from core.settings import MqttSettings
from processor.broker_access import BrokerAccess
from processor.counters import Counters
from processor.dynsec import DynamicSecurity
from sandbox.broker import Broker


async def grant(broker: Broker, uid: str, secret: str, access: Access) -> None:
    """Give device `uid` (password `secret`) the rights `access` on `broker`."""
    control = DynamicSecurity(
        MqttSettings(
            MQTT_HOST=broker.host,
            MQTT_PORT=broker.port,
            MQTT_USERNAME=broker.username,
            MQTT_PASSWORD=broker.password,
            MQTT_CLIENT_ID=f"grant-{uid}",
        )
    )
    running = asyncio.create_task(control.run())
    try:
        await BrokerAccess(None, control, Counters()).register(uid, secret, access)  # type: ignore[arg-type]
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
