"""JSON payloads a device sends (SPEC section 3), built in one place for the agent and the simulator."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import orjson


class Measured(Protocol):
    """A sensor's Reading, or a simulated meter's or computer's sample: metric names and values."""

    def metrics(self) -> dict[str, float]: ...


# SPEC section 3: the processor refuses payloads above 64 KiB; stay clearly under it.
MAX_PAYLOAD = 60 * 1024


def reading(
    metrics: Measured, timestamp: float, *, firmware_version: str, ip: str | None, uptime: int
) -> dict[str, Any]:
    """One telemetry reading as a dict (the agent buffers dicts; `encode` turns them into bytes)."""
    body: dict[str, Any] = {"timestamp": round(timestamp, 3), **metrics.metrics()}
    body["firmware_version"] = firmware_version
    if ip:
        body["ip"] = ip
    body["uptime"] = uptime
    return body


def encode(body: dict[str, Any] | list[dict[str, Any]]) -> bytes:
    return orjson.dumps(body)


def status(online: bool, *, firmware_version: str, ip: str | None) -> bytes:
    body: dict[str, Any] = {"status": "online" if online else "offline", "firmware_version": firmware_version}
    if ip:
        body["ip"] = ip
    return orjson.dumps(body)


def provision_request(device_type: str, firmware_version: str, secret: str | None = None) -> bytes:
    body = {"device_type": device_type, "firmware_version": firmware_version}
    if secret:
        body["secret"] = secret
    return orjson.dumps(body)


def config_applied(version: int) -> bytes:
    return orjson.dumps({"type": "config_applied", "version": version})


def command_result(command_id: str, ok: bool, error: str | None = None) -> bytes:
    body: dict[str, Any] = {"type": "command_result", "id": command_id, "ok": ok}
    if error:
        body["error"] = error
    return orjson.dumps(body)


def backlog_chunks(encoded_readings: Iterable[bytes], limit: int = MAX_PAYLOAD) -> Iterator[list[bytes]]:
    """Group already-encoded readings so that each group, joined as a JSON array, stays under `limit`."""
    chunk: list[bytes] = []
    size = 2  # the brackets
    for item in encoded_readings:
        if chunk and size + len(item) + 1 > limit:
            yield chunk
            chunk, size = [], 2
        chunk.append(item)
        size += len(item) + 1
    if chunk:
        yield chunk


def join_array(encoded_readings: list[bytes]) -> bytes:
    return b"[" + b",".join(encoded_readings) + b"]"


class FastTelemetry:
    """A reading pre-encoded once; only the timestamp is spliced in per message (benchmarks, large fleets)."""

    __slots__ = ("_tail",)

    def __init__(self, metrics: Measured, *, firmware_version: str) -> None:
        rest = orjson.dumps({**metrics.metrics(), "firmware_version": firmware_version})
        self._tail = b"," + rest[1:]

    def render(self, timestamp: float) -> bytes:
        return b'{"timestamp":%.3f%s' % (timestamp, self._tail)
