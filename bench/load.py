"""Publisher processes for the benchmark: pre-built telemetry from the simulator's rooms, sent in bulk.

Each process owns a slice of the fleet and one connection. Every payload carries its publish time as the
reading's `timestamp` (millisecond precision, strictly increasing per device): that keeps each message a new
row (the primary key is (device_id, ts)) and lets the latency probe compute publish → committed.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from dataclasses import dataclass

from bench.wire import PublishPrefix, RawPublisher
from core import topics
from device.fleet import FIRMWARE_VERSION, MODELS
from device.payloads import FastTelemetry

BATCH = 500  # messages per sendall
UNACKED_WINDOW = 20_000  # QoS 1 packet ids are 16 bits; stay well below their wrap-around
ACK_WAIT = 60.0


@dataclass(frozen=True, slots=True)
class Job:
    host: str
    port: int
    uids: tuple[str, ...]
    qos: int = 1
    messages: int = 0  # publish exactly this many as fast as possible…
    rate: float = 0.0  # …or this many per second
    duration: float = 0.0  # …for this long
    types: tuple[str, ...] = ("air",)  # device kinds taken in turn (device.fleet.MODELS): a mixed fleet


@dataclass(frozen=True, slots=True)
class JobResult:
    sent: int
    acked: int
    seconds: float
    cpu_seconds: float
    # time.monotonic() (one clock for all processes on Linux) of the first and the last send
    first_send: float
    last_send: float


class _Device:
    __slots__ = ("head", "last_ts", "template")

    def __init__(self, uid: str, qos: int, now: float, kind: str = "air") -> None:
        self.template = FastTelemetry(MODELS[kind].create(uid).sample(now), firmware_version=FIRMWARE_VERSION)
        payload_length = len(self.template.render(now))
        self.head = PublishPrefix(topics.device_topic(uid, topics.TELEMETRY), payload_length, qos).head
        self.last_ts = 0.0


def _packets(devices: list[_Device], start: int, count: int, publisher: RawPublisher, qos: int) -> bytes:
    now = time.time()
    parts = []
    total = len(devices)
    for offset in range(start, start + count):
        device = devices[offset % total]
        ts = max(now, device.last_ts + 0.001)
        device.last_ts = ts
        packet_id = publisher.take_id() if qos else b""
        parts.append(device.head + packet_id + device.template.render(ts))
    return b"".join(parts)


def run_job(job: Job, index: int) -> JobResult:
    devices = [
        _Device(uid, job.qos, time.time(), job.types[index % len(job.types)])
        for index, uid in enumerate(job.uids)
    ]
    publisher = RawPublisher(job.host, job.port, f"bench-publisher-{index}-{time.monotonic_ns()}")
    started = time.monotonic()
    # CPU from here on: the interpreter's start and the templates above come before the first publish.
    setup = _cpu_seconds()
    sent = _paced(job, devices, publisher, started) if job.rate else _flat_out(job, devices, publisher)
    last_send = time.monotonic()
    deadline = time.monotonic() + ACK_WAIT
    while job.qos and publisher.acked < sent and time.monotonic() < deadline:
        time.sleep(0.005)
    seconds = time.monotonic() - started
    acked = publisher.acked if job.qos else sent
    publisher.close()
    return JobResult(sent, acked, seconds, _cpu_seconds() - setup, started, last_send)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _flat_out(job: Job, devices: list[_Device], publisher: RawPublisher) -> int:
    sent = 0
    while sent < job.messages:
        if job.qos and sent - publisher.acked > UNACKED_WINDOW:
            time.sleep(0.001)
            continue
        count = min(BATCH, job.messages - sent)
        publisher.send(_packets(devices, sent, count, publisher, job.qos))
        sent += count
    return sent


def _paced(job: Job, devices: list[_Device], publisher: RawPublisher, started: float) -> int:
    sent = 0
    while (elapsed := time.monotonic() - started) < job.duration:
        owed = min(BATCH, int(elapsed * job.rate) - sent)
        if owed <= 0:
            time.sleep(0.002)
            continue
        publisher.send(_packets(devices, sent, owed, publisher, job.qos))
        sent += owed
    return sent


def _worker(job: Job, index: int, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    results.put((index, run_job(job, index)))


def run_publishers(jobs: list[Job]) -> list[JobResult]:
    """Run each job in its own process (a fresh interpreter: no state inherited from the caller)."""
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    processes = [context.Process(target=_worker, args=(job, i, results)) for i, job in enumerate(jobs)]
    for process in processes:
        process.start()
    collected = dict(results.get(timeout=600) for _ in processes)
    for process in processes:
        process.join(timeout=30)
    return [collected[i] for i in range(len(jobs))]


def split_jobs(
    uids: list[str],
    processes: int,
    host: str,
    port: int,
    *,
    messages: int = 0,
    rate: float = 0.0,
    duration: float = 0.0,
    qos: int = 1,
    types: tuple[str, ...] = ("air",),
) -> list[Job]:
    """The fleet dealt out to `processes` publishers; the totals `messages` and `rate` are divided."""
    return [
        Job(
            host,
            port,
            tuple(uids[index::processes]),
            qos=qos,
            messages=messages // processes + (1 if index < messages % processes else 0),
            rate=rate / processes,
            duration=duration,
            types=types,
        )
        for index in range(processes)
    ]
