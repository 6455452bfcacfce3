"""A fleet of virtual devices and the MQTT connections that carry them.

Last Will is per MQTT connection. With one connection per device (the default up to `--connections`,
200) every virtual device has its own Will, exactly like real hardware: kill the simulator and the
broker marks each one offline. Above that limit devices are multiplexed, many per connection, so a
10 000-device fleet needs a few hundred sockets instead of 10 000. The price: multiplexed devices have
no Will. A clean stop still publishes their offline status; a crash leaves them "online" until the
processor's silence timeout (3 report intervals) notices.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import aiomqtt
import orjson

from core import topics
from core.retry import wait_event
from core.supervisor import Supervisor
from device import fleet_control, payloads
from device.air import Room
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
from device.machines import Host, Meter

log = logging.getLogger(__name__)

FIRMWARE_VERSION = "2.0.1"
SUBSCRIBE_CHUNK = 500  # topic filters per SUBSCRIBE packet
TICK = 0.02  # seconds between scheduling rounds
LIVE_INTERVAL = 5.0  # SPEC section 4: a device in live mode reports every 5 s
BACKFILL_STEP = 60.0  # a reading a minute: charts draw a line only where readings are < 90 s apart
BACKFILL_CHUNK = 100  # readings per backlog message: well under the processor's 64 KiB payload limit

ProvisioningHandler = Callable[[str, Any], None]


# What the simulator can be, by --types name: a room's air monitor, an electricity meter, a computer.
MODELS: dict[str, type[Room] | type[Meter] | type[Host]] = {"air": Room, "meter": Meter, "host": Host}


@dataclass
class VirtualDevice:
    uid: str
    room: Room | Meter | Host
    ip: str
    interval: float = 30.0  # the server's retained config may change it
    live_until: float = 0.0  # time.monotonic() until which a `live` command asked for fast reports
    started: float = field(default_factory=time.time)
    seed: str = ""  # the room's seed: the same room can be replayed over the past (backfill)
    pairing: str = ""  # the last provisioning status it heard (pending, paired, ...)
    # Its broker password when it logs in as itself (SPEC section 3), made once and kept while it runs.
    secret: str = field(default_factory=new_secret)
    firmware: str = FIRMWARE_VERSION  # an OTA update (simulated) changes it
    updates_done: set[str] = field(default_factory=set)  # rollout ids already answered: each happens once

    def current_interval(self, now: float) -> float:
        return min(LIVE_INTERVAL, self.interval) if now < self.live_until else self.interval

    @property
    def device_type(self) -> str:
        return self.room.device_type

    def telemetry(self, now: float) -> bytes:
        body = payloads.reading(
            self.room.sample(now),
            now,
            firmware_version=self.firmware,
            ip=self.ip,
            uptime=int(now - self.started),
        )
        return payloads.encode(body)

    def status(self, online: bool) -> bytes:
        return payloads.status(online, firmware_version=self.firmware, ip=self.ip)

    def history(self, hours: float, now: float) -> list[bytes]:
        """The last `hours` of this room as backlog messages, as a device that measured offline sends them."""
        room = type(self.room).create(self.seed)
        first = (now - hours * 3600) // BACKFILL_STEP * BACKFILL_STEP
        readings = []
        at = first
        while at < now - BACKFILL_STEP:
            metrics = room.sample(at)
            uptime = int(at - first)
            readings.append(
                payloads.reading(metrics, at, firmware_version=FIRMWARE_VERSION, ip=self.ip, uptime=uptime)
            )
            at += BACKFILL_STEP
        chunks = range(0, len(readings), BACKFILL_CHUNK)
        return [payloads.encode(readings[start : start + BACKFILL_CHUNK]) for start in chunks]


@dataclass(frozen=True, slots=True)
class FleetOptions:
    address: BrokerAddress
    interval: float = 30.0
    rate: float = 0.0  # total messages/s across the fleet; 0 = every device at `interval`
    qos: int = 1
    provision: bool = False
    backfill_hours: float = 0.0  # once paired, send this much past history (so charts have something to show)
    ota_failure_rate: float = 0.0  # the share of simulated firmware updates that fail and roll back


@dataclass
class FleetStats:
    published: int = 0


def build_fleet(
    count: int, *, seed: int, prefix: str = "sim", first: int = 1, types: Sequence[str] = ("air",)
) -> list[VirtualDevice]:
    """`count` devices, their kinds taken in turn from `types` (names of MODELS)."""
    width = max(4, len(str(first + count - 1)))
    devices = []
    for number in range(first, first + count):
        uid = f"{prefix}-{number:0{width}d}"
        ip = f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"
        room_seed = f"{seed}:{uid}"
        model = MODELS[types[(number - first) % len(types)]]
        devices.append(VirtualDevice(uid=uid, room=model.create(room_seed), ip=ip, seed=room_seed))
    return devices


def split(devices: Sequence[VirtualDevice], connections: int) -> list[list[VirtualDevice]]:
    """One device per connection while that fits in `connections`, else round-robin over `connections`."""
    if len(devices) <= connections:
        return [[device] for device in devices]
    return [list(devices[index::connections]) for index in range(connections)]


class IntervalSchedule:
    """Each device at its own interval ± 10 % jitter, first reports spread over one interval."""

    def __init__(self, devices: Sequence[VirtualDevice], rng: random.Random) -> None:
        self._devices, self._rng = devices, rng
        self._index = {device.uid: index for index, device in enumerate(devices)}
        now = time.monotonic()
        self._next = [now + rng.uniform(0, device.current_interval(now)) for device in devices]
        self._heap = [(due, index) for index, due in enumerate(self._next)]
        heapq.heapify(self._heap)

    def due(self, now: float) -> list[VirtualDevice]:
        ready = []
        while self._heap and self._heap[0][0] <= now:
            due, index = heapq.heappop(self._heap)
            if due != self._next[index]:
                continue  # superseded by reschedule()
            device = self._devices[index]
            ready.append(device)
            self._push(index, now + device.current_interval(now) * self._rng.uniform(0.9, 1.1))
        return ready

    def reschedule(self, device: VirtualDevice, due: float) -> None:
        """Bring a device's next report forward (a live command, a shorter interval)."""
        index = self._index[device.uid]
        if due < self._next[index]:
            self._push(index, due)

    def _push(self, index: int, due: float) -> None:
        self._next[index] = due
        heapq.heappush(self._heap, (due, index))


class RateSchedule:
    """A fixed total rate, devices taking turns: the load generator for benchmarks and soak tests."""

    def __init__(self, devices: Sequence[VirtualDevice], rate: float) -> None:
        self._devices, self._rate = devices, rate
        self._start = time.monotonic()
        self._sent = 0

    def due(self, now: float) -> list[VirtualDevice]:
        owed = int((now - self._start) * self._rate) - self._sent
        count = len(self._devices)
        ready = [self._devices[(self._sent + offset) % count] for offset in range(max(0, owed))]
        self._sent += len(ready)
        return ready

    def reschedule(self, device: VirtualDevice, due: float) -> None:
        """The total rate is what matters here: per-device requests are ignored."""


class Connection:
    """One MQTT connection carrying one or many virtual devices, reconnecting until stopped."""

    def __init__(
        self,
        devices: list[VirtualDevice],
        options: FleetOptions,
        stats: FleetStats,
        on_provisioning: ProvisioningHandler,
    ) -> None:
        self.devices, self.options, self.stats = devices, options, stats
        self.on_provisioning = on_provisioning
        self.solo = len(devices) == 1
        self.identifier = devices[0].uid if self.solo else f"simulator-{os.getpid()}-{devices[0].uid}"
        self.by_uid = {device.uid: device for device in devices}
        # Without an account of its own (--username), a solo device logs in as itself, as real ones do.
        self.as_itself = self.solo and not options.address.username
        self.address = options.address
        if self.as_itself:
            self.address = as_device(options.address, devices[0].uid, devices[0].secret)

    def _client(self) -> aiomqtt.Client:
        will = None
        if self.solo:
            will = offline_will(self.devices[0].uid, FIRMWARE_VERSION, self.devices[0].ip)
        return make_client(self.address, self.identifier, will=will)

    async def run(self, stop: asyncio.Event) -> None:
        backoff = reconnect_backoff()
        while not stop.is_set():
            try:
                async with self._client() as client:
                    backoff.reset()
                    await self._session(client, stop)
                    await self._announce(client, online=False)
                    return
            except aiomqtt.MqttError as error:
                if self.as_itself and not_authorised(error):
                    await self._ask_anonymously()
                else:
                    log.warning("connection=%s lost error=%s", self.identifier, error)
                if await backoff.sleep(stop):
                    return

    async def _ask_anonymously(self) -> None:
        """No account (new, or removed by its owner): ask for a code with the secret, then log in again."""
        device = self.devices[0]
        request = payloads.provision_request(device.device_type, FIRMWARE_VERSION, device.secret)
        try:
            await ask_for_code(self.options.address, device.uid, request)
        except aiomqtt.MqttError as error:
            log.warning("device=%s could not ask for a code error=%s", device.uid, error)

    async def _session(self, client: aiomqtt.Client, stop: asyncio.Event) -> None:
        """Until `stop`; a lost connection surfaces as MqttError from a publish (or from the listener)."""
        await self._announce(client, online=True)
        schedule = self._schedule()
        listener = asyncio.create_task(self._listen(client, schedule))
        try:
            await self._subscribe(client)
            if self.options.provision:
                await self._request_codes(client)
            await self._publish_telemetry(client, schedule, stop)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await listener

    async def _announce(self, client: aiomqtt.Client, *, online: bool) -> None:
        await asyncio.gather(
            *(
                client.publish(
                    topics.device_topic(d.uid, topics.STATUS), d.status(online), qos=1, retain=True
                )
                for d in self.devices
            )
        )

    async def _subscribe(self, client: aiomqtt.Client) -> None:
        """Each device's config (retained) and commands, and its pairing answers when provisioning."""
        filters = []
        for uid in self.by_uid:
            filters += [
                (topics.device_topic(uid, topics.CONFIG), 1),
                (topics.device_topic(uid, topics.COMMANDS), 1),
                (topics.device_topic(uid, topics.OTA), 1),
            ]
            if self.options.provision:
                filters.append((topics.provision_response(uid), 1))
        for start in range(0, len(filters), SUBSCRIBE_CHUNK):
            await client.subscribe(filters[start : start + SUBSCRIBE_CHUNK])

    async def _request_codes(self, client: aiomqtt.Client) -> None:
        await asyncio.gather(
            *(
                client.publish(
                    topics.provision_request(d.uid),
                    payloads.provision_request(
                        d.device_type, FIRMWARE_VERSION, d.secret if self.as_itself else None
                    ),
                    qos=1,
                )
                for d in self.devices
            )
        )

    def _schedule(self) -> IntervalSchedule | RateSchedule:
        if self.options.rate > 0:
            return RateSchedule(self.devices, self.options.rate)
        return IntervalSchedule(self.devices, random.Random(self.identifier))

    async def _listen(self, client: aiomqtt.Client, schedule: IntervalSchedule | RateSchedule) -> None:
        async for message in client.messages:
            _, uid, kind = message.topic.value.split("/")
            device = self.by_uid.get(uid)
            if device is None or not message.payload:  # an empty payload clears a retained message
                continue
            try:
                body = orjson.loads(message.payload)  # type: ignore[arg-type]
            except orjson.JSONDecodeError:
                log.warning("device=%s unreadable %s message", uid, kind)
                continue
            if kind == "response":
                self.on_provisioning(uid, body)
                status = str(body.get("status", "")) if isinstance(body, dict) else ""
                # Each time it becomes paired: a retained "paired" from an earlier run is followed by a new
                # pairing when the server has forgotten the device; re-sent minutes are stored only once.
                if status == "paired" and device.pairing != "paired":
                    if self.as_itself:  # refused while it could only pair
                        await self._subscribe(client)
                    await self._backfill(client, device)
                device.pairing = status
            else:
                await fleet_control.obey(
                    client, device, kind, body, schedule, failure_rate=self.options.ota_failure_rate
                )

    async def _backfill(self, client: aiomqtt.Client, device: VirtualDevice) -> None:
        if self.options.backfill_hours <= 0:
            return
        topic = topics.device_topic(device.uid, topics.TELEMETRY)
        for message in device.history(self.options.backfill_hours, time.time()):
            await client.publish(topic, message, qos=1)

    async def _publish_telemetry(
        self, client: aiomqtt.Client, schedule: IntervalSchedule | RateSchedule, stop: asyncio.Event
    ) -> None:
        while not stop.is_set():
            due = schedule.due(time.monotonic())
            if due:
                now = time.time()
                await asyncio.gather(
                    *(
                        client.publish(
                            topics.device_topic(d.uid, topics.TELEMETRY),
                            d.telemetry(now),
                            qos=self.options.qos,
                        )
                        for d in due
                    )
                )
                self.stats.published += len(due)
            await wait_event(stop, TICK)


async def run_fleet(
    devices: list[VirtualDevice],
    options: FleetOptions,
    connections: int,
    stop: asyncio.Event,
    on_provisioning: ProvisioningHandler,
) -> FleetStats:
    """Run every connection until `stop`; each connection takes its devices' share of `options.rate`."""
    stats = FleetStats()
    for device in devices:
        device.interval = options.interval
    connections_ = [
        Connection(
            group, replace(options, rate=options.rate * len(group) / len(devices)), stats, on_provisioning
        )
        for group in split(devices, connections)
    ]
    async with Supervisor("fleet") as tasks:
        await tasks.join(
            *(
                tasks.start(connection.identifier, functools.partial(connection.run, stop))
                for connection in connections_
            )
        )
    return stats
