"""Publishing to devices through whichever MQTT connection is current, waiting out a reconnect."""

from __future__ import annotations

import asyncio
import logging

import aiomqtt

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 10.0


class Publisher:
    def __init__(self) -> None:
        self._client: aiomqtt.Client | None = None
        self._connected = asyncio.Event()

    def connected(self, client: aiomqtt.Client) -> None:
        self._client = client
        self._connected.set()

    def disconnected(self) -> None:
        self._client = None
        self._connected.clear()

    async def publish(self, topic: str, payload: bytes, *, retain: bool) -> None:
        """QoS 1; returns once the broker has acknowledged it, however many reconnects that takes."""
        while True:
            await self._connected.wait()
            client = self._client
            if client is None:
                continue
            try:
                await client.publish(topic, payload, qos=1, retain=retain, timeout=PUBLISH_TIMEOUT)
                return
            except aiomqtt.MqttError as error:
                log.warning("publish failed, waiting for the broker topic=%s error=%r", topic, error)
                if self._client is client:
                    # The connection loop notices the loss and calls disconnected(); give it a moment.
                    await asyncio.sleep(0.5)
