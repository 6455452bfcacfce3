"""OTA benchmark (SPEC 6 and 9, issue 13): `python -m bench.ota [--devices 10000] [--clients 8]`.

One run, one private Mosquitto and database (10 000 paired devices), the real `python -m processor`, and
side by side:
  (a) a stage to every device: from the rollout's commit until a subscriber of `devices/+/ota` (the server's
      account) holds all the retained documents; beside a bare aiomqtt publisher putting the same number of
      retained documents of the same size on the same broker with the processor's window (IN_FLIGHT);
  (b) firmware downloads: N concurrent clients fetching the image from the processor's `/firmware/{id}`,
      each request with another device's token (from the documents of (a)), every other one a resumed
      download (`Range: bytes=K-`); beside a plain aiohttp static file server (bench/static_files.py, its
      own process) serving the same file to the same clients. Rounds alternate between the two servers, so
      a change in the machine's load falls on both.
Figures are for this machine at the printed load average: the ratio to the baseline is what carries over.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import aiomqtt
import asyncpg
import orjson
from pydantic import SecretStr

from bench.environment import cpu_seconds, create_fleet_database
from bench.report import Row, machine_load, print_table
from bench.wire import RawPublisher, remaining_length
from core import topics
from core.db import make_engine, make_sessionmaker
from core.services.ota import firmware, rollouts, signing
from core.services.ota.rules import Scope
from core.settings import FirmwareSettings
from processor.app import APPLICATION_NAME
from processor.ota import IN_FLIGHT
from sandbox.broker import Broker
from sandbox.database import drop_database
from sandbox.ports import free_port
from sandbox.programs import ProcessorProcess, Program

TARGET_STAGE_SECONDS = 10.0
TARGET_MB_S = 200.0
MB = 1_000_000
_BACKENDS = "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()"
BASELINES = ("aiomqtt", "raw")
_RETAINED_QOS1 = 0x30 | 1 << 1 | 1  # PUBLISH, QoS 1, RETAIN
# The bench's own MQTT clients keep IN_FLIGHT publishes pending on purpose, as the processor does.
_QUIET = logging.getLogger("bench.ota.mqtt")
_QUIET.setLevel(logging.ERROR)


@dataclass
class Documents:
    """What a subscriber of `devices/+/ota` (the server's account) received: the processor's documents
    (each device's last download URL) and the baselines' (uids `<baseline>-<n>`), counted apart."""

    urls: dict[str, str] = field(default_factory=dict)
    baselines: dict[str, set[str]] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def take(self, uid: str, payload: bytes) -> None:
        kind = uid.split("-", 1)[0]
        if kind in BASELINES:
            self.baselines.setdefault(kind, set()).add(uid)
        elif payload:
            self.urls[uid] = str(orjson.loads(payload)["url"])
        self.changed.set()

    def count(self, which: str) -> int:
        return len(self.urls) if which == "processor" else len(self.baselines.get(which, ()))

    async def until(self, count: int, which: str, within: float) -> float:
        """The monotonic moment `which` ("processor", or a baseline) reached `count` documents."""
        deadline = time.monotonic() + within
        while self.count(which) < count:
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"only {self.count(which)} of {count} {which} documents arrived")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)
        return time.monotonic()


@contextlib.asynccontextmanager
async def subscribed(broker: Broker) -> AsyncIterator[Documents]:
    documents = Documents()
    client = aiomqtt.Client(
        broker.host, broker.port, identifier="bench-ota-watch", logger=_QUIET, **broker.credentials
    )
    async with client:
        await client.subscribe(topics.device_topic("+", topics.OTA), qos=1)

        async def read() -> None:
            async for message in client.messages:
                documents.take(message.topic.value.split("/")[1], bytes(message.payload))  # type: ignore[arg-type]

        reader = asyncio.create_task(read())
        try:
            yield documents
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


@dataclass
class World:
    broker: Broker
    database_name: str
    database_url: str
    settings: FirmwareSettings
    processor: ProcessorProcess
    processor_url: str
    workdir: Path


@contextlib.asynccontextmanager
async def world(devices: int, profile_to: Path | None = None) -> AsyncIterator[World]:
    workdir = Path(tempfile.mkdtemp(prefix="smartair-bench-ota-"))
    broker = Broker(workdir / "broker")
    broker.start()
    name, url, _ = await create_fleet_database("bench", devices)
    settings = FirmwareSettings(
        FIRMWARE_SIGNING_KEY=SecretStr(signing.new_private_pem()), FIRMWARE_DIR=str(workdir / "firmware")
    )
    await asyncio.to_thread(Path(settings.firmware_dir).mkdir)
    port = free_port()
    processor_url = f"http://127.0.0.1:{port}"
    processor = ProcessorProcess(
        url,
        broker,
        workdir,
        profile_to=profile_to,
        PROCESSOR_HTTP_PORT=str(port),
        PUBLIC_URL=processor_url,
        FIRMWARE_DIR=settings.firmware_dir,
    )
    try:
        await processor.launch()
        yield World(broker, name, url, settings, processor, processor_url, workdir)
    finally:
        await processor.stop()
        broker.stop()
        await drop_database(name)


async def store_image(world: World, size: int) -> firmware.FirmwareInfo:
    staged = firmware.staging_path(world.settings)
    staged.write_bytes(os.urandom(size))
    engine = make_engine(world.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await firmware.store(
                session,
                world.settings,
                device_type="co2",
                version="2.0.2",
                changelog="bench",
                staged=staged,
                uploaded_by=None,
            )
    finally:
        await engine.dispose()


async def publish_stage(
    world: World, documents: Documents, info: firmware.FirmwareInfo, devices: int
) -> tuple[float, float]:
    """Seconds from the operator's start (all of the type, one stage: the bot's call) to every document on
    the broker, and of those the start itself (choosing the devices, writing their rows, committing)."""
    engine = make_engine(world.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            started = time.monotonic()
            await rollouts.start(session, firmware_id=info.id, scope=Scope.ALL)
            committed = time.monotonic()
    finally:
        await engine.dispose()
    return await documents.until(devices, "processor", within=300) - started, committed - started


async def publish_baseline(broker: Broker, documents: Documents, devices: int, payload: bytes) -> float:
    """Seconds for a bare aiomqtt client with the processor's settings (paho's defaults, the same sliding
    window of pending publishes) to put `devices` retained documents of this size on the broker, until
    the subscriber holds them all: the same publishing without the database and the tokens."""
    client = aiomqtt.Client(
        broker.host,
        broker.port,
        identifier="bench-ota-baseline",
        logger=_QUIET,
        **broker.credentials,
    )
    window = asyncio.Semaphore(IN_FLIGHT)

    async def publish(uid: str) -> None:
        async with window:
            await client.publish(topics.device_topic(uid, topics.OTA), payload, qos=1, retain=True)

    async with client:
        started = time.monotonic()
        await asyncio.gather(*(publish(f"aiomqtt-{n:05d}") for n in range(devices)))
        return await documents.until(devices, "aiomqtt", within=300) - started


async def publish_raw(broker: Broker, documents: Documents, devices: int, payload: bytes) -> float:
    """Seconds for pre-built retained QoS 1 PUBLISH packets written to a socket in one go
    (bench/wire.py) until the subscriber holds them all: what the broker and the subscriber can do."""
    started = time.monotonic()
    publisher = await asyncio.to_thread(RawPublisher, broker.host, broker.port, "bench-ota-raw")
    try:
        packets = b"".join(
            _retained(topics.device_topic(f"raw-{n:05d}", topics.OTA), payload, publisher.take_id())
            for n in range(devices)
        )
        await asyncio.to_thread(publisher.send, packets)
        return await documents.until(devices, "raw", within=300) - started
    finally:
        publisher.close()


def _retained(topic: str, payload: bytes, packet_id: bytes) -> bytes:
    variable = len(topic.encode()).to_bytes(2, "big") + topic.encode() + packet_id
    return bytes([_RETAINED_QOS1]) + remaining_length(len(variable) + len(payload)) + variable + payload


@dataclass
class CpuSpan:
    """CPU seconds the processor, its PostgreSQL backends and the broker, and this process (the
    subscriber, and a baseline's publisher), used from `begin()` to `used()`: on a shared machine, what a
    phase costs, whatever share of the cores it got."""

    database_url: str
    pids: dict[str, int]
    start: dict[str, float] = field(default_factory=dict)

    async def begin(self) -> CpuSpan:
        self.start = await self._read()
        return self

    async def _read(self) -> dict[str, float]:
        connection = await asyncpg.connect(self.database_url)
        try:
            backends = [row[0] for row in await connection.fetch(_BACKENDS, APPLICATION_NAME)]
        finally:
            await connection.close()
        used = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        # A backend opened during the span counts from 0; one closed during it is lost (rare: a pool).
        used["postgres (processor)"] = sum(cpu_seconds(pid) for pid in backends)
        return used | {"bench": time.process_time()}

    async def used(self) -> dict[str, float]:
        return {name: value - self.start[name] for name, value in (await self._read()).items()}


@dataclass
class Downloaded:
    bytes: int = 0
    requests: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    waits: list[float] = field(default_factory=list)  # request sent → response headers, per download

    @property
    def mb_s(self) -> float:
        return self.bytes / MB / self.seconds if self.seconds else float("nan")

    @property
    def wait_ms(self) -> float:
        return 1000 * statistics.median(self.waits) if self.waits else float("nan")

    def add(self, other: Downloaded) -> None:
        self.bytes += other.bytes
        self.requests += other.requests
        self.seconds += other.seconds
        self.server_cpu += other.server_cpu
        self.waits += other.waits


async def _client(urls: list[str], size: int, until: float, tally: Downloaded, seed: int) -> None:
    chance = random.Random(seed)
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as http:
        turn = 0
        while time.monotonic() < until:
            url = urls[(seed + turn * 7919) % len(urls)]
            # Every other download resumes from somewhere in the first half, as a device after a drop.
            headers = {"Range": f"bytes={chance.randrange(size // 2)}-"} if turn % 2 else {}
            asked = time.monotonic()
            async with http.get(url, headers=headers) as response:
                tally.waits.append(time.monotonic() - asked)
                if response.status not in (200, 206):
                    raise RuntimeError(f"{url.split('?')[0]} answered {response.status}")
                async for chunk in response.content.iter_chunked(1 << 20):
                    tally.bytes += len(chunk)
            tally.requests += 1
            turn += 1


async def download(urls: list[str], size: int, clients: int, window: float, server_pid: int) -> Downloaded:
    """`clients` concurrent downloaders for `window` seconds; bytes received over the wall time."""
    tally = Downloaded()
    cpu_before, started = cpu_seconds(server_pid), time.monotonic()
    until = started + window
    await asyncio.gather(*(_client(urls, size, until, tally, seed) for seed in range(clients)))
    tally.seconds = time.monotonic() - started
    tally.server_cpu = cpu_seconds(server_pid) - cpu_before
    return tally


@contextlib.asynccontextmanager
async def static_server(folder: str, workdir: Path) -> AsyncIterator[tuple[str, int]]:
    port = free_port()
    program = Program("bench.static_files", workdir, args=[folder, str(port)])
    program.start()
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{url}/firmware/none") as response:
                        if response.status == 404:
                            break
                await asyncio.sleep(0.1)
        yield url, program.pid
    finally:
        await program.stop()


def _image_files(folder: str, version: str) -> list[Path]:
    return [path for path in Path(folder).iterdir() if version in path.name]


async def run(  # noqa: PLR0917 - the command line's options, one each
    devices: int, clients: int, size_mb: int, window: float, rounds: int, profile_to: Path | None
) -> None:
    print(machine_load())
    async with world(devices, profile_to) as place:
        info = await store_image(place, size_mb * 1024 * 1024)
        async with subscribed(place.broker) as documents:
            assert place.broker.process is not None  # exec'd into mosquitto: its pid is the broker's
            pids = {"processor": place.processor.pid, "broker": place.broker.process.pid}
            span = await CpuSpan(place.database_url, pids).begin()
            stage, starting = await publish_stage(place, documents, info, devices)
            cpu = {"processor stage": await span.used()}
            sample = orjson.dumps(
                {
                    "id": "1",
                    "version": info.version,
                    "url": next(iter(documents.urls.values())),
                    "size": info.size,
                    "checksum": f"sha256:{info.checksum}",
                    "signature": info.signature,
                }
            )
            span = await CpuSpan(place.database_url, pids).begin()
            bare = await publish_baseline(place.broker, documents, devices, sample)
            cpu["aiomqtt baseline"] = await span.used()
            span = await CpuSpan(place.database_url, pids).begin()
            raw = await publish_raw(place.broker, documents, devices, sample)
            cpu["raw baseline"] = await span.used()
        print(machine_load())
        urls = list(documents.urls.values())
        (image,) = await asyncio.to_thread(_image_files, place.settings.firmware_dir, info.version)
        processor_total, static_total = Downloaded(), Downloaded()
        async with static_server(place.settings.firmware_dir, place.workdir) as (static_url, static_pid):
            static_urls = [f"{static_url}/firmware/{image.name}"]
            for _ in range(rounds):
                processor_total.add(await download(urls, info.size, clients, window, place.processor.pid))
                static_total.add(await download(static_urls, info.size, clients, window, static_pid))
        print(machine_load())
    print(
        f"(a) {devices} devices, one stage; (b) {clients} clients, a {info.size / MB:.1f} MB image, "
        f"{rounds} × {window:.0f} s per server, alternating; every other request a range; "
        f"processor {processor_total.requests} downloads, static {static_total.requests}"
    )
    print(
        f"of the stage's {stage:.1f} s, starting the rollout (its {devices} rows, in the bot) "
        f"took {starting:.1f} s"
    )
    for phase, used in cpu.items():
        print(f"CPU seconds during the {phase}: " + ", ".join(f"{k} {v:.1f}" for k, v in used.items()))
    print_table(
        [
            Row(
                f"stage published to {devices} devices",
                stage,
                "s",
                ("bare aiomqtt publisher", bare),
                f"< {TARGET_STAGE_SECONDS:.0f} s",
                stage < TARGET_STAGE_SECONDS,
            ),
            Row(
                "stage publish rate",
                devices / stage,
                "msg/s",
                ("bare aiomqtt publisher", devices / bare),
            ),
            Row(
                "stage publish rate",
                devices / stage,
                "msg/s",
                ("raw socket publisher", devices / raw),
            ),
            Row(
                f"/firmware/{{id}} download, {clients} clients",
                processor_total.mb_s,
                "MB/s",
                ("aiohttp static", static_total.mb_s),
                f"≥ {TARGET_MB_S:.0f} MB/s",
                processor_total.mb_s >= TARGET_MB_S,
            ),
            Row(
                "request → response headers, median",
                processor_total.wait_ms,
                "ms",
                ("aiohttp static", static_total.wait_ms),
            ),
            Row(
                "server CPU per GB served",
                processor_total.server_cpu / (processor_total.bytes / 1e9),
                "s",
                ("aiohttp static", static_total.server_cpu / (static_total.bytes / 1e9)),
            ),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8, help="concurrent downloaders")
    parser.add_argument("--size-mb", type=int, default=32, help="the firmware image, MiB (at most 50)")
    parser.add_argument(
        "--window", type=float, default=5.0, help="seconds of downloading per round and server"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds, each the processor then the static server"
    )
    parser.add_argument("--profile", type=Path, help="write the processor's cProfile statistics to this file")
    arguments = parser.parse_args()
    asyncio.run(
        run(
            arguments.devices,
            arguments.clients,
            arguments.size_mb,
            arguments.window,
            arguments.rounds,
            arguments.profile,
        )
    )


if __name__ == "__main__":
    main()
