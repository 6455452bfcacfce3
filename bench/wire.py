"""A bare MQTT 3.1.1 publisher on a raw socket: packets pre-built, sent in bulk, PUBACKs only counted.

A general client (paho, aiomqtt) spends 20–40 µs of Python per message; on a 2-core machine that shares
its CPU with the broker, the processor and PostgreSQL, such a publisher would measure itself rather than
the ingest path. This one spends a few µs per message. It only publishes: no subscriptions, no retries,
keepalive off (it never sits idle long enough to need one).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

CONNECT_FLAGS_CLEAN = 0x02
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


def connect_packet(client_id: str) -> bytes:
    body = _string("MQTT") + bytes([4, CONNECT_FLAGS_CLEAN]) + struct.pack("!H", 0) + _string(client_id)
    return b"\x10" + remaining_length(len(body)) + body


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
