"""Bare MQTT 3.1.1 for the benchmark: a raw-socket publisher, and an asyncio subscriber that reads in bulk.

A general client (paho, aiomqtt) spends tens of µs of Python per message; on a 2-core machine that shares
its CPU with the broker, the processor and PostgreSQL, such a publisher would measure itself rather than
the ingest path. The publisher here sends pre-built packets in bulk and only counts PUBACKs; no retries,
keepalive off (it never sits idle long enough to need one). The subscriber parses PUBLISH frames straight
out of each chunk the socket delivers and answers all their PUBACKs with one write: it shows what a Python
consumer can receive when the client library is not in the way.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import threading
import time

CONNECT_FLAGS_CLEAN = 0x02
CONNECT_FLAGS_USERNAME_PASSWORD = 0xC0
PUBACK_SIZE = 4
MAX_PACKET_ID = 65535


def remaining_length(length: int) -> bytes:
    """MQTT's variable-length integer."""
    out = bytearray()
    while True:
        length, digit = divmod(length, 128)
        out.append(digit | (0x80 if length else 0))
        if not length:
            return bytes(out)


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def connect_packet(client_id: str, *, clean: bool = True, keepalive: int = 0) -> bytes:
    """CONNECT, logged in as the server's account (MQTT_USERNAME/MQTT_PASSWORD) when the environment has one:
    the shipped broker lets nobody else publish for ten thousand devices."""
    flags = CONNECT_FLAGS_CLEAN if clean else 0
    username, password = os.environ.get("MQTT_USERNAME", ""), os.environ.get("MQTT_PASSWORD", "")
    login = b""
    if username:
        flags |= CONNECT_FLAGS_USERNAME_PASSWORD
        login = _string(username) + _string(password)
    body = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive) + _string(client_id) + login
    return b"\x10" + remaining_length(len(body)) + body


def subscribe_packet(topic_filter: str, qos: int, packet_id: int = 1) -> bytes:
    body = struct.pack("!H", packet_id) + _string(topic_filter) + bytes([qos])
    return b"\x82" + remaining_length(len(body)) + body


def publish_packet(topic: str, payload: bytes, packet_id: int, qos: int) -> bytes:
    variable = _string(topic) + (struct.pack("!H", packet_id) if qos else b"")
    return bytes([0x30 | (qos << 1)]) + remaining_length(len(variable) + len(payload)) + variable + payload


class PublishPrefix:
    """Everything of a PUBLISH before the packet id, for one topic and one payload length."""

    __slots__ = ("head", "qos")

    def __init__(self, topic: str, payload_length: int, qos: int) -> None:
        topic_bytes = _string(topic)
        length = len(topic_bytes) + (2 if qos else 0) + payload_length
        self.head = bytes([0x30 | (qos << 1)]) + remaining_length(length) + topic_bytes
        self.qos = qos


class RawPublisher:
    """One connection; `send` takes already-joined packets; a reader thread counts PUBACKs."""

    def __init__(self, host: str, port: int, client_id: str) -> None:
        self._sock = socket.create_connection((host, port), timeout=10)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.sendall(connect_packet(client_id))
        connack = self._recv_exactly(4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise ConnectionError(f"broker refused the connection: {connack!r}")
        self._sock.settimeout(None)
        self._acked_bytes = 0
        self._reader = threading.Thread(target=self._count_acks, daemon=True)
        self._reader.start()
        self.next_id = 1

    @property
    def acked(self) -> int:
        return self._acked_bytes // PUBACK_SIZE

    def take_id(self) -> bytes:
        packet_id = self.next_id
        self.next_id = 1 if packet_id == MAX_PACKET_ID else packet_id + 1
        return struct.pack("!H", packet_id)

    def send(self, data: bytes) -> None:
        self._sock.sendall(data)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.sendall(b"\xe0\x00")  # DISCONNECT
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()

    def _recv_exactly(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self._sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            data += chunk
        return data

    def _count_acks(self) -> None:
        # Only PUBACKs (4 bytes each) come back to a connection that subscribes to nothing.
        while True:
            try:
                chunk = self._sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            self._acked_bytes += len(chunk)


class BulkSubscriber(asyncio.Protocol):
    """Counts PUBLISH packets of a persistent session, acknowledging each chunk's QoS 1 messages at once."""

    def __init__(self, client_id: str, topic_filter: str, expected: int) -> None:
        self._hello = connect_packet(client_id, clean=False, keepalive=60) + subscribe_packet(topic_filter, 1)
        self._buffer = bytearray()
        self._expected = expected
        self.received = 0
        self.first = self.last = 0.0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self._hello)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        acks, used = _parse(buffer)
        del buffer[:used]
        if not acks:
            return
        if self.transport is not None:
            self.transport.write(b"".join(b"\x40\x02" + packet_id for packet_id in acks))
        self.last = time.monotonic()
        self.first = self.first or self.last
        self.received += len(acks)
        if self.received >= self._expected and not self.done.done():
            self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.done, self.closed):
            if not future.done():
                future.set_result(None)

    async def disconnect(self, within: float = 5.0) -> None:
        """DISCONNECT, then wait for the broker to close: by then it has processed every PUBACK we sent
        (closing at once could let a reconnect with the same id overtake them and get redeliveries)."""
        if self.transport is None:
            return
        self.transport.write(b"\xe0\x00")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.closed), within)
        self.transport.close()


def _parse(buffer: bytearray) -> tuple[list[bytes], int]:
    """Packet ids of the complete QoS 1 PUBLISH packets in `buffer`, and how many bytes they used."""
    acks: list[bytes] = []
    position, size = 0, len(buffer)
    while position + 2 <= size:
        length, multiplier, index = 0, 1, position + 1
        while index < size:
            byte = buffer[index]
            length += (byte & 0x7F) * multiplier
            multiplier *= 128
            index += 1
            if byte < 0x80:
                break
        else:
            break  # the length itself is incomplete
        if index + length > size:
            break
        header = buffer[position]
        if header >> 4 == 3 and (header >> 1) & 3:
            topic_length = (buffer[index] << 8) | buffer[index + 1]
            acks.append(bytes(buffer[index + 2 + topic_length : index + 4 + topic_length]))
        position = index + length
    return acks, position
