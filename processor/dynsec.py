"""Mosquitto's dynamic-security plugin, driven over `$CONTROL/dynamic-security/v1` with the server's account.

A connection of its own (client id `<MQTT_CLIENT_ID>-dynsec`, clean session), so that control answers never
mix with device messages in ingest. Commands go in batches; the plugin answers each batch with one message
on `.../response`, its responses in the order of the commands.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import ssl
from typing import Any

import aiomqtt
import orjson

from core.retry import Backoff, wait_event
from core.settings import MqttSettings

log = logging.getLogger(__name__)

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = CONTROL_TOPIC + "/response"
ANSWER_TIMEOUT = 10.0


class ControlError(Exception):
    """The plugin did not answer (broker away, plugin missing) or refused a command."""


Command = dict[str, Any]


class DynamicSecurity:
    def __init__(self, settings: MqttSettings) -> None:
        self._settings = settings
        self._client: aiomqtt.Client | None = None
        self._ready = asyncio.Event()
        self._waiting: dict[str, asyncio.Future[list[Command]]] = {}
        self._ids = itertools.count(1)

    async def run(self) -> None:
        """Keep the control connection up (reconnecting with backoff) and hand answers to their callers."""
        backoff = Backoff(first=0.5, ceiling=10.0)
        while True:
            try:
                async with self._make_client() as client:
                    await client.subscribe(RESPONSE_TOPIC, qos=1)
                    self._client = client
                    self._ready.set()
                    backoff.reset()
                    async for message in client.messages:
                        self._answered(message.payload)
            except aiomqtt.MqttError as error:
                log.warning("dynamic-security connection lost error=%r", error)
            finally:
                self._ready.clear()
                self._client = None
                for future in self._waiting.values():
                    if not future.done():
                        future.set_exception(ControlError("connection lost"))
                self._waiting.clear()
            await backoff.sleep()

    async def execute(self, *commands: Command, tolerate: tuple[str, ...] = ()) -> list[Command]:
        """Run `commands` in order; their responses. A response with an error not in `tolerate` raises."""
        client = await self._connected()
        batch = str(next(self._ids))
        future: asyncio.Future[list[Command]] = asyncio.get_running_loop().create_future()
        self._waiting[batch] = future
        body = {"commands": [{**command, "correlationData": batch} for command in commands]}
        try:
            await client.publish(CONTROL_TOPIC, orjson.dumps(body), qos=1, timeout=ANSWER_TIMEOUT)
            async with asyncio.timeout(ANSWER_TIMEOUT):
                responses = await future
        except (aiomqtt.MqttError, TimeoutError) as error:
            raise ControlError(f"no answer: {error!r}") from None
        finally:
            self._waiting.pop(batch, None)
        for response in responses:
            refusal = response.get("error")
            if refusal and refusal not in tolerate:
                raise ControlError(f"{response.get('command')}: {refusal}")
        return responses

    async def publish(self, topic: str, payload: bytes, *, retain: bool) -> None:
        """A QoS 1 publish on the control connection: it reaches the broker before any later command."""
        client = await self._connected()
        try:
            await client.publish(topic, payload, qos=1, retain=retain, timeout=ANSWER_TIMEOUT)
        except aiomqtt.MqttError as error:
            raise ControlError(f"publish failed: {error!r}") from None

    async def _connected(self) -> aiomqtt.Client:
        if not await wait_event(self._ready, ANSWER_TIMEOUT):
            raise ControlError("not connected")
        if self._client is None:
            raise ControlError("not connected")
        return self._client

    def _answered(self, payload: object) -> None:
        try:
            responses = orjson.loads(payload)["responses"]  # type: ignore[arg-type]
            batch = responses[0]["correlationData"]
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
            log.warning("dynamic-security answer not understood payload=%r", payload)
            return
        future = self._waiting.get(batch)
        if future is not None and not future.done():
            future.set_result(responses)

    def _make_client(self) -> aiomqtt.Client:
        settings = self._settings
        return aiomqtt.Client(
            settings.mqtt_host,
            settings.mqtt_port,
            identifier=f"{settings.mqtt_client_id}-dynsec",
            username=settings.mqtt_username or None,
            password=settings.mqtt_password.get_secret_value() or None,
            tls_context=ssl.create_default_context() if settings.mqtt_tls else None,
            clean_session=True,
            keepalive=30,
        )
