"""The agent's loops: read the sensor on schedule, keep one broker connection, react to the server.

Two tasks share the Agent: the sampler (sensor → telemetry, or → the local buffer when the broker is not
there) and the link (connect with a Last Will, announce online, subscribe, pair, upload the backlog, obey
config and commands; reconnect with backoff when the broker goes away).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import aiomqtt
import orjson
from pydantic import ValidationError

from core import topics
from core.retry import wait_event
from core.supervisor import Supervisor
from device import payloads
from device.agent.buffer import ReadingBuffer
from device.agent.settings import AgentSettings
from device.agent.updater import Updater
from device.connection import (
    BrokerAddress,
    as_device,
    ask_for_code,
    make_client,
    new_secret,
    not_authorised,
    offline_will,
    reconnect_backoff,
)
from device.messages import Command, Config, ProvisioningResponse, live_duration
from device.sensors.base import Sensor, SensorError

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 10.0
PAIRING_REPEAT = 300.0  # ask again now and then: a code lives 15 minutes and the server may have restarted
BACKLOG_BATCH = 500  # readings read from the buffer per upload round
FIRST_CONNECT_GRACE = 5.0


class Agent:
    def __init__(self, settings: AgentSettings, sensor: Sensor, buffer: ReadingBuffer) -> None:
        self.settings, self.sensor, self.buffer = settings, sensor, buffer
        self.uid = settings.uid
        self.ip = local_ip(settings.mqtt_host)
        self.interval = settings.report_interval
        self.live_until = 0.0
        self.started = time.monotonic()
        self.client: aiomqtt.Client | None = None
        self.stop = asyncio.Event()
        self.schedule_changed = asyncio.Event()
        # The next reading is due at once, not at the interval's end (set with schedule_changed).
        self.reading_due = False
        self.backlog_waiting = asyncio.Event()
        self.paired = asyncio.Event()
        self.connected_once = asyncio.Event()
        self.restart_requested = False
        # A firmware update switched slots: the link reconnects as the new version (a reboot, in-process).
        self.rebooting = False
        self.reboot_now = asyncio.Event()
        self.updater = Updater(settings, buffer, self._event, self._reboot)
        self._last_code: str | None = None
        if not settings.pairing or buffer.get_state("paired") == "yes":
            self.paired.set()
        # A device that pairs itself logs in as {uid} with a secret it made once and keeps (SPEC section 3);
        # one registered by the factory has an account configured instead.
        self.secret: str | None = None
        if settings.pairing and not settings.mqtt_username:
            self.secret = buffer.get_state("secret") or new_secret()
            buffer.set_state("secret", self.secret)

    def broker(self) -> BrokerAddress:
        address = self.settings.broker()
        return as_device(address, self.uid, self.secret) if self.secret else address

    def provision_request(self) -> bytes:
        return payloads.provision_request(self.settings.device_type, self.updater.version, self.secret)

    def topic(self, kind: str) -> str:
        return topics.device_topic(self.uid, kind)

    async def run(self) -> None:
        """Until SIGTERM/SIGINT (`stop`) or a restart command.

        A bug in either loop is logged and that loop restarted; one that keeps failing stops the agent
        loudly (TaskFailed), and the system's service manager restarts the process.
        """
        async with Supervisor(f"device {self.uid}") as tasks:
            tasks.start("sampler", self._sample_loop)
            # The link ends (after saying goodbye) once `stop` is set.
            await tasks.join(tasks.start("link", self._link_loop))

    # ---- sampling ------------------------------------------------------------------------------------------

    def current_interval(self) -> float:
        if time.monotonic() < self.live_until:
            return self.settings.live_interval
        return self.interval

    async def _sample_loop(self) -> None:
        await self.paired.wait()
        # Give the first connection a moment so a device that just booted does not start with a "backlog".
        await wait_event(self.connected_once, FIRST_CONNECT_GRACE)
        while not self.stop.is_set():
            sampled_at = time.monotonic()
            self.reading_due = False
            try:
                reading = await asyncio.to_thread(self.sensor.read)
            except (SensorError, OSError) as error:
                log.warning("device=%s sensor read failed error=%s", self.uid, error)
                await self._wait_next(sampled_at)
                continue
            body = payloads.reading(
                reading,
                time.time(),
                firmware_version=self.updater.version,
                ip=self.ip,
                uptime=int(sampled_at - self.started),
            )
            await self._deliver(payloads.encode(body))
            await self._wait_next(sampled_at)

    async def _wait_next(self, sampled_at: float) -> None:
        """Until the next reading is due; a config or live command moves the due time while we wait."""
        while True:
            self.schedule_changed.clear()
            if self.reading_due:
                return
            remaining = sampled_at + self.current_interval() - time.monotonic()
            # Only a change re-plans the wait: the due time fixed at the last reading otherwise stands.
            if remaining <= 0 or not await wait_event(self.schedule_changed, remaining):
                return

    async def _deliver(self, encoded: bytes) -> None:
        client = self.client
        # While a backlog waits, new readings join it so the server receives them in order.
        if client is not None and len(self.buffer) == 0:
            try:
                await client.publish(self.topic(topics.TELEMETRY), encoded, qos=1, timeout=PUBLISH_TIMEOUT)
                await self.updater.healthy()
                return
            except aiomqtt.MqttError as error:
                log.warning("device=%s publish failed, buffering error=%s", self.uid, error)
        self.buffer.add(encoded)
        if self.client is not None:
            self.backlog_waiting.set()

    # ---- the broker connection -----------------------------------------------------------------------------

    async def _link_loop(self) -> None:
        backoff = reconnect_backoff(self.settings.reconnect_max_delay)
        while not self.stop.is_set():
            will = offline_will(self.uid, self.updater.version, self.ip)
            try:
                async with make_client(self.broker(), self.uid, will=will) as client:
                    backoff.reset()
                    log.info("device=%s connected", self.uid)
                    await self._session(client)
                    if not self.rebooting:
                        return
                    self.rebooting = False
                    self.reboot_now.clear()
                    continue
            except aiomqtt.MqttError as error:
                if self.secret and not_authorised(error):
                    await self._ask_anonymously()
                else:
                    log.warning(
                        "device=%s broker unreachable error=%s buffered=%d", self.uid, error, len(self.buffer)
                    )
            finally:
                self.client = None
            if await backoff.sleep(self.stop):
                return

    async def _session(self, client: aiomqtt.Client) -> None:
        await self._publish_status(client, online=True)
        await client.subscribe(
            [
                (self.topic(topics.CONFIG), 1),
                (self.topic(topics.COMMANDS), 1),
                (self.topic(topics.OTA), 1),
                (topics.provision_response(self.uid), 1),
            ]
        )
        self.client = client
        self.connected_once.set()
        await self.updater.connected()
        if self.updater.awaiting_health:
            # Up on a new slot, as after a boot: a reading now is its health check. Waiting for the interval
            # (the server's config may say minutes) would outlast ota_health_timeout and roll it back.
            self.reading_due = True
            self.schedule_changed.set()
        self.backlog_waiting.set()
        tasks = {
            asyncio.create_task(self._listen(client)),
            asyncio.create_task(self._upload_backlog(client)),
            asyncio.create_task(self._request_pairing(client)),
            asyncio.create_task(self.stop.wait()),
            asyncio.create_task(self.reboot_now.wait()),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
        for task in done:
            task.result()  # a lost connection surfaces here as MqttError
        self.client = None
        if not self.restart_requested and not self.rebooting:
            # A clean goodbye: the broker does not send the Will on a normal disconnect. A restart says
            # nothing: the device is back within seconds and an "offline" would only alarm its owner.
            await self._publish_status(client, online=False)

    async def _publish_status(self, client: aiomqtt.Client, *, online: bool) -> None:
        body = payloads.status(online, firmware_version=self.updater.version, ip=self.ip)
        await client.publish(self.topic(topics.STATUS), body, qos=1, retain=True, timeout=PUBLISH_TIMEOUT)

    async def _upload_backlog(self, client: aiomqtt.Client) -> None:
        """Send buffered readings as JSON arrays (< 64 KiB each); forget them only once acknowledged."""
        while True:
            await self.backlog_waiting.wait()
            self.backlog_waiting.clear()
            while rows := self.buffer.oldest(BACKLOG_BATCH):
                sent = 0
                for chunk in payloads.backlog_chunks(payload for _, payload in rows):
                    await client.publish(
                        self.topic(topics.TELEMETRY),
                        payloads.join_array(chunk),
                        qos=1,
                        timeout=PUBLISH_TIMEOUT,
                    )
                    sent += len(chunk)
                    self.buffer.remove_through(rows[sent - 1][0])
                    # Readings reached the broker from this version, as _deliver's do: that is its health.
                    await self.updater.healthy()
                log.info("device=%s uploaded backlog readings=%d", self.uid, sent)

    async def _ask_anonymously(self) -> None:
        """No account on the broker (new, or removed by its owner): ask for a code with our secret."""
        log.info("device=%s not registered on the broker: asking for a pairing code", self.uid)
        try:
            await ask_for_code(self.settings.broker(), self.uid, self.provision_request())
        except aiomqtt.MqttError as error:
            log.warning("device=%s could not ask for a code error=%s", self.uid, error)

    async def _request_pairing(self, client: aiomqtt.Client) -> None:
        request = self.provision_request()
        while not self.paired.is_set():
            await client.publish(topics.provision_request(self.uid), request, qos=1, timeout=PUBLISH_TIMEOUT)
            await wait_event(self.paired, PAIRING_REPEAT)
        await asyncio.Event().wait()  # paired: nothing more to do in this session

    # ---- what the server says ------------------------------------------------------------------------------

    async def _listen(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            kind = message.topic.value.rsplit("/", 1)[-1]
            if kind == topics.OTA:
                self.updater.offer(bytes(message.payload))  # type: ignore[arg-type]
                continue
            try:
                body = orjson.loads(message.payload)  # type: ignore[arg-type]
                if kind == topics.CONFIG:
                    await self._apply_config(client, Config.model_validate(body))
                elif kind == topics.COMMANDS:
                    await self._execute(client, Command.model_validate(body))
                elif kind == "response" and self._on_provisioning(ProvisioningResponse.model_validate(body)):
                    # Paired just now: the broker refused these while we were only allowed to pair.
                    kinds = (topics.CONFIG, topics.COMMANDS, topics.OTA)
                    await client.subscribe([(self.topic(kind), 1) for kind in kinds])
            except (orjson.JSONDecodeError, ValidationError) as error:
                log.warning("device=%s ignored bad %s message error=%s", self.uid, kind, str(error)[:200])

    async def _apply_config(self, client: aiomqtt.Client, config: Config) -> None:
        if config.report_interval is not None and config.report_interval != self.interval:
            self.interval = config.report_interval
            self.schedule_changed.set()
        log.info("device=%s config applied version=%d interval=%s", self.uid, config.version, self.interval)
        await client.publish(self.topic(topics.EVENTS), payloads.config_applied(config.version), qos=1)

    async def _execute(self, client: aiomqtt.Client, command: Command) -> None:
        log.info("device=%s command=%s id=%s", self.uid, command.command, command.id)
        ok, error = True, None
        if command.command == "live":
            self.live_until = time.monotonic() + live_duration(command)
            self.schedule_changed.set()
        elif command.command == "restart":
            self.restart_requested = True
        elif command.command != "ping":
            ok, error = False, f"unknown command {command.command!r}"
        result = payloads.command_result(command.id, ok, error)
        await client.publish(self.topic(topics.EVENTS), result, qos=1, timeout=PUBLISH_TIMEOUT)
        if self.restart_requested:
            self.stop.set()

    async def _event(self, body: bytes) -> None:
        """Publish a device event on whichever connection is current, waiting out a reconnect."""
        while True:
            client = self.client
            if client is not None:
                try:
                    await client.publish(self.topic(topics.EVENTS), body, qos=1, timeout=PUBLISH_TIMEOUT)
                    return
                except aiomqtt.MqttError as error:
                    log.warning("device=%s event not sent yet error=%s", self.uid, error)
            await asyncio.sleep(0.5)

    def _reboot(self) -> None:
        self.rebooting = True
        self.reboot_now.set()

    def _on_provisioning(self, response: ProvisioningResponse) -> bool:
        """Act on the server's answer; True if the device became paired by it."""
        if response.owned and not self.paired.is_set():
            # A device whose local state was wiped is refused as "owned": its owner still has it, so it
            # simply goes on reporting.
            self.buffer.set_state("paired", "yes")
            self.paired.set()
            announce(f"{self.uid} paired")
            return True
        if response.status == "pending" and response.code and response.code != self._last_code:
            self._last_code = response.code
            announce(f"pairing code for {self.uid}: {response.code} (send /add {response.code} to the bot)")
        elif response.status == "unpaired" and self.paired.is_set() and self.settings.pairing:
            # The owner removed the device: back to pairing (the broker takes our account back now).
            self.buffer.set_state("paired", "no")
            self.paired.clear()
            self._last_code = None
            announce(f"{self.uid} was removed by its owner: pairing again")
        elif response.status not in ("pending", "paired", "refused", "unpaired"):
            log.warning("device=%s unexpected provisioning response status=%s", self.uid, response.status)
        return False


def announce(line: str) -> None:
    """The person setting up the device reads the code off the console."""
    print(line, flush=True)  # noqa: T201 - the console is the device's user interface


def local_ip(broker_host: str) -> str | None:
    """The address this device uses towards the broker (no packet is sent: UDP connect only routes)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((broker_host, 9))
            return str(probe.getsockname()[0])
    except OSError:
        return None
