"""Buffered socket reads for paho: the second (and last) module reaching under aiomqtt into paho's privates.

Why: paho 2.2 reads a packet with ~4 `recv` calls (the command byte, the remaining length byte by byte, the
body) and `loop_read()` handles one packet per call when no QoS 2 message is in flight; aiomqtt calls it once
per event-loop wake-up. Every message thus costs an event-loop iteration plus four syscalls, which the ingest
benchmark measured as 37 % of the processor's CPU (bench/ingest_findings.md).

What: the paho client's `_sock_recv` is replaced (on the instance) by one that reads up to `CHUNK` bytes at
once and serves paho's small reads from that buffer, and its `loop_read` by one that keeps handling packets
while the buffer still holds bytes. Checked against paho 2.2.1 (`Client._packet_read`, `_sock_recv`,
`loop_read`: `_sock_recv` is called only by `_packet_read`) and aiomqtt 2.5.1 (`_on_socket_open` registers a
reader calling `client.loop_read()`, then again while an SSL socket has `pending()` bytes).

Invariants that keep it correct:
- The buffer is empty whenever the patched `loop_read` returns normally: it loops until then, and every
  `_packet_read` consumes at least one buffered byte, so nothing can sit in user space while the event loop
  waits for the socket to become readable (asyncio's epoll is level-triggered; data still in the kernel
  wakes the reader again).
- At most `READS_PER_PASS` real reads happen per `loop_read`; beyond that the wrapper answers "would block"
  as the socket itself would (BlockingIOError), so one busy connection cannot monopolise the event loop.
  paho keeps the partial packet in its `_in_packet` state exactly as on a real EAGAIN.
- TLS: the real read goes through paho's own `_sock_recv`, which already turns `SSLWantReadError` /
  `SSLWantWriteError` into BlockingIOError (registering for write in the second case); decrypted bytes the
  SSL object still holds are fetched by aiomqtt's `pending()` loop, which calls the patched `loop_read`.
- A new socket (reconnect with the same client) starts with a fresh buffer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiomqtt
import paho.mqtt.client as paho

CHUNK = 65536
READS_PER_PASS = 8


class _BufferedReader:
    def __init__(self, inner: paho.Client) -> None:
        self._inner = inner
        self._raw_recv: Callable[[int], bytes] = inner._sock_recv  # private: see the module docstring
        self._raw_loop_read: Callable[..., paho.MQTTErrorCode] = inner.loop_read
        self._buffer = memoryview(b"")
        self._sock: Any = None
        self._reads_left = READS_PER_PASS

    def recv(self, bufsize: int) -> bytes:
        sock = self._inner._sock  # private: see the module docstring
        if sock is not self._sock:
            self._sock, self._buffer = sock, memoryview(b"")
        if not self._buffer:
            if self._reads_left <= 0:
                raise BlockingIOError  # the rest waits for the next pass, still in the kernel
            self._reads_left -= 1
            data = self._raw_recv(CHUNK)  # raises BlockingIOError when nothing is there
            if not data:
                return data  # end of stream: paho reports the connection lost
            self._buffer = memoryview(data)
        taken, self._buffer = self._buffer[:bufsize], self._buffer[bufsize:]
        return taken.tobytes()

    def loop_read(self, max_packets: int = 1) -> paho.MQTTErrorCode:
        self._reads_left = READS_PER_PASS
        rc = self._raw_loop_read(max_packets)
        while self._buffer and rc == paho.MQTT_ERR_SUCCESS and self._inner._sock is not None:
            rc = self._raw_loop_read(max_packets)
        if self._inner._sock is None:
            self._buffer = memoryview(b"")
        return rc


def buffer_reads(client: aiomqtt.Client) -> None:
    """Make the client read its socket in large chunks and handle every buffered packet per wake-up.

    Call before the connection is opened (the CONNACK is read through it too).
    """
    inner: paho.Client = client._client  # private: see the module docstring
    reader = _BufferedReader(inner)
    # Instance attributes shadow the methods: only this client is affected.
    inner._sock_recv = reader.recv  # type: ignore[method-assign]
    inner.loop_read = reader.loop_read  # type: ignore[method-assign]
