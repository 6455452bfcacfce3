"""Everything that reaches under aiomqtt into paho's private parts, fenced: one module, checked at start.

Private names used (and nowhere else in the tree):
- aiomqtt: `Client._client`, the paho client (manual acks need it; aiomqtt 2.5 does not expose them).
- paho `Client` methods: `_sock_recv(bufsize)` (wrapped), `loop_read(max_packets)` (wrapped on the instance),
  `_packet_queue(command, packet, mid, qos, info)` (PUBACKs queued as one write).
- paho `Client` attributes: `_sock`, `_manual_ack`, `_protocol`, `_in_packet["command"]`, `_msgtime_mutex`,
  `_last_bytes_received`.
- paho module: `time_func` (paho's clock for the keepalive bookkeeping).

`fast_path()` decides once at start: on only if MQTT_FAST_PATH is true, the installed paho-mqtt is the
version this was checked against (`CHECKED_PAHO`) and every name above still has its expected shape
(`shape_problems()`). Otherwise the processor uses stock paho reads and one `ack()` per message, and says so
in the log. Manual acknowledgement itself (`manual_ack_set`, `ack`: public paho API) is kept either way;
only reaching the paho client through `Client._client` cannot be avoided.

The fast path. Why: paho 2.2 reads a packet with ~4 `recv` calls (the command byte, the remaining length
byte by byte, the body) and `loop_read()` handles one packet per call when no QoS 2 message is in flight;
aiomqtt calls it once per event-loop wake-up. Every message thus costs an event-loop iteration plus four
syscalls, which the ingest benchmark measured as 37 % of the processor's CPU (bench/ingest_findings.md).

What: the paho client's `_sock_recv` is replaced (on the instance) by one that reads up to `CHUNK` bytes at
once and serves paho's small reads from that buffer, and its `loop_read` by one that keeps handling packets
while the buffer still holds bytes. Complete QoS 0/1 PUBLISH packets in the buffer (MQTT 3.1.1 or 5, manual
acks on; MQTT 5 properties skipped, a topic alias left to paho) are parsed here and put straight into the
client's incoming queue, one list per read (one queue operation), skipping paho's and aiomqtt's per-message
objects, callbacks and debug logging. A PUBLISH cut by the end of a read waits in the buffer for the next
read. Everything else (CONNACK, SUBACK, PINGRESP, QoS 2, a PUBLISH longer than a read) goes through paho's
own `_packet_read`.

Checked against paho 2.2.0 (`Client._packet_read`, `_handle_publish`, `_sock_recv`, `loop_read`;
`_sock_recv` is called only by `_packet_read`) and aiomqtt 2.5.1 (`_on_socket_open` registers a reader
calling `client.loop_read()`, then again while an SSL socket has `pending()` bytes).

Invariants that keep it correct:
- Whenever the patched `loop_read` returns normally, the buffer is empty or holds only the beginning of one
  PUBLISH: it loops until then, and every `_packet_read` consumes at least one buffered byte, so no
  complete packet can sit in user space while the event loop waits for the socket to become readable
  (asyncio's epoll is level-triggered: data still in the kernel wakes the reader again, and so does the
  rest of that PUBLISH when it arrives; the next pass appends it to the buffer).
- At most `READS_PER_PASS` real reads happen per `loop_read`; beyond that the wrapper answers "would block"
  as the socket itself would (BlockingIOError), so one busy connection cannot monopolise the event loop.
  paho keeps the partial packet in its `_in_packet` state exactly as on a real EAGAIN.
- TLS: the real read goes through paho's own `_sock_recv`, which already turns `SSLWantReadError` /
  `SSLWantWriteError` into BlockingIOError (registering for write in the second case); decrypted bytes the
  SSL object still holds are fetched by aiomqtt's `pending()` loop, which calls the patched `loop_read`.
- A new socket (reconnect with the same client) starts with a fresh buffer.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from importlib import metadata
from typing import Any

import aiomqtt
import paho.mqtt.client as paho

log = logging.getLogger(__name__)

CHECKED_PAHO = "2.2.0"
CHUNK = 65536
READS_PER_PASS = 8

# The private methods wrapped or called, with the parameters they must still take.
_METHODS = {
    "_sock_recv": ("self", "bufsize"),
    "loop_read": ("self", "max_packets"),
    "_packet_queue": ("self", "command", "packet", "mid", "qos", "info"),
}
# The private attributes read, with the type a fresh client holds.
_ATTRIBUTES = {
    "_sock": type(None),
    "_manual_ack": bool,
    "_protocol": int,
    "_in_packet": dict,
    "_last_bytes_received": float,
}


def paho_client(client: aiomqtt.Client) -> paho.Client:
    """The paho client under an aiomqtt client (private `Client._client`)."""
    inner = getattr(client, "_client", None)
    if not isinstance(inner, paho.Client):
        raise TypeError(f"aiomqtt {metadata.version('aiomqtt')} no longer keeps its paho client in _client")
    return inner


def shape_problems() -> list[str]:
    """What of the private names listed above is missing or shaped otherwise in the installed paho."""
    problems = []
    for name, parameters in _METHODS.items():
        method = getattr(paho.Client, name, None)
        if method is None or tuple(inspect.signature(method).parameters) != parameters:
            problems.append(f"paho.Client.{name}{parameters} changed")
    probe = paho.Client(paho.CallbackAPIVersion.VERSION2)
    for name, kind in _ATTRIBUTES.items():
        if not isinstance(getattr(probe, name, ...), kind):
            problems.append(f"paho.Client().{name} is no longer a {kind.__name__}")
    if "command" not in getattr(probe, "_in_packet", {}):
        problems.append("paho.Client()._in_packet has no 'command'")
    if not hasattr(getattr(probe, "_msgtime_mutex", None), "__enter__"):
        problems.append("paho.Client()._msgtime_mutex is no longer a lock")
    if not callable(getattr(paho, "time_func", None)):
        problems.append("paho.time_func is gone")
    return problems


def fast_path(wanted: bool) -> bool:
    """Whether to use the fast path (see the module docstring); logs the decision and why."""
    version = metadata.version("paho-mqtt")
    if not wanted:
        log.info("paho fast path off (MQTT_FAST_PATH=false): stock paho reads and acks")
        return False
    if version != CHECKED_PAHO:
        log.warning(
            "paho fast path off: paho-mqtt %s is not the checked %s; stock paho reads and acks",
            version,
            CHECKED_PAHO,
        )
        return False
    problems = shape_problems()
    if problems:
        log.warning("paho fast path off: %s; stock paho reads and acks", "; ".join(problems))
        return False
    log.info("paho fast path on paho=%s", version)
    return True


# Builds one received message from the tuple (topic, payload, qos, retain, mid): processor.mqtt.received.
MakeMessage = Callable[[tuple[str, bytes, int, bool, int]], Any]


class _BufferedReader:
    def __init__(self, inner: paho.Client, deliver: Callable[[list[Any]], None], make: MakeMessage) -> None:
        self._inner = inner
        self._deliver = deliver
        self._make = make
        self._raw_recv: Callable[[int], bytes] = inner._sock_recv
        self._raw_loop_read: Callable[..., paho.MQTTErrorCode] = inner.loop_read
        self._buffer = memoryview(b"")
        self._sock: Any = None
        self._reads_left = READS_PER_PASS
        self._starved = False

    def recv(self, bufsize: int) -> bytes:
        inner = self._inner
        if inner._sock is not self._sock:
            self._sock, self._buffer = inner._sock, memoryview(b"")
        if not self._buffer:
            if self._reads_left <= 0:
                self._starved = True
                raise BlockingIOError  # the rest waits for the next pass, still in the kernel
            self._reads_left -= 1
            try:
                data = self._raw_recv(CHUNK)
            except BlockingIOError:
                self._starved = True
                raise
            if not data:
                return data  # end of stream: paho reports the connection lost
            self._buffer = memoryview(data)
        taken, self._buffer = self._buffer[:bufsize], self._buffer[bufsize:]
        return taken.tobytes()

    def loop_read(self, max_packets: int = 1) -> paho.MQTTErrorCode:
        inner = self._inner
        fast = inner._manual_ack and inner._protocol in (paho.MQTTv31, paho.MQTTv311, paho.MQTTv5)
        self._reads_left = READS_PER_PASS
        self._starved = False
        rc = paho.MQTT_ERR_SUCCESS
        while rc == paho.MQTT_ERR_SUCCESS and inner._sock is not None and not self._starved:
            if fast and inner._in_packet["command"] == 0:
                if self._buffer and not self._take_publishes():
                    if not self._buffer:
                        continue  # all taken: the next turn reads
                elif self._top_up():  # the buffer is empty, or ends inside a PUBLISH
                    continue
            # Anything else (a SUBACK, a PINGRESP, a PUBLISH longer than a read…): paho's way.
            rc = self._raw_loop_read(max_packets)
        if inner._sock is None:
            self._buffer = memoryview(b"")
        return rc

    def _top_up(self) -> bool:
        """Append the socket's next bytes to the buffer, which is empty or ends inside a PUBLISH. True: go on
        with the fast path (topped up, or the pass ends here, holding what the buffer has until the socket has
        more: this pass's reads are spent, or the rest is yet to come). False: paho reads on (the end of the
        stream, a new socket).

        Before, paho read whenever the buffer ran out, and so handled the first packet of every read and the
        PUBLISH a read cut in two its own slow way (its packet decoding, properties object and callback, and
        ingest's one-message path): one in every few messages when they trickle in, about a tenth of the
        processor's CPU at a steady 25 000 msg/s.
        """
        if self._inner._sock is not self._sock:
            return False
        if self._reads_left <= 0:
            self._starved = True
            return True
        try:
            data = self._raw_recv(CHUNK)
        except BlockingIOError:
            self._starved = True
            return True
        except OSError:
            return False  # a reset, a TLS failure: paho's own read meets it too and closes the connection
        if not data:
            return False  # end of stream: paho's next read sees it too (it stays at the end)
        self._reads_left -= 1
        self._buffer = memoryview(self._buffer.tobytes() + data)
        return True

    def _take_publishes(self) -> bool:
        """Hand every complete QoS 0/1 PUBLISH at the head of the buffer to the inbox, as one list; stop at
        anything else. True if it stopped at a PUBLISH (of at most CHUNK bytes) the buffer holds only the
        beginning of.

        What paho's `_handle_publish` does for them with manual acks on: make a message of topic, payload,
        QoS, retain flag and packet id (MQTT 5's properties skipped: ingest reads none), and send no PUBACK
        (processor/acks.py does, after the commit). paho keeps no state for inbound QoS 0/1 messages, so it
        misses nothing.
        """
        buffer, position, end_of_data = self._buffer, 0, len(self._buffer)
        make, taken = self._make, []
        wants_more = False
        with_properties = self._inner._protocol == paho.MQTTv5
        while position < end_of_data:
            header = buffer[position]
            if header & 0xF0 != paho.PUBLISH or header & 0x06 > 0x02:  # not a PUBLISH, or QoS 2 / invalid
                break
            sized = _variable_int(buffer, position + 1, end_of_data)
            if sized is None:
                # The remaining length runs past the buffer (cut short), or past the four bytes MQTT allows.
                wants_more = end_of_data - position <= 4
                break
            length, start = sized
            end = start + length
            if length < 2:
                break  # malformed: paho will say so
            if end > end_of_data:
                wants_more = end - position <= CHUNK
                break
            qos = (header >> 1) & 0x03
            topic_end = start + 2 + ((buffer[start] << 8) | buffer[start + 1])
            body = topic_end + (2 if qos else 0)
            if with_properties:
                # MQTT 5: the properties (forwarded user properties, expiry, content type…) follow the
                # packet id; ingest reads none of them. An empty topic stands for a topic alias: paho's way.
                properties = _variable_int(buffer, body, end) if topic_end > start + 2 else None
                if properties is None:
                    break
                length, body = properties
                body += length
            if body > end:
                break
            try:
                topic = str(buffer[start + 2 : topic_end], "utf-8")
            except UnicodeDecodeError:
                break
            mid = (buffer[topic_end] << 8) | buffer[topic_end + 1] if qos else 0
            taken.append(make((topic, buffer[body:end].tobytes(), qos, bool(header & 1), mid)))
            position = end
        if taken:
            self._deliver(taken)
        if position:
            self._buffer = buffer[position:]
            with self._inner._msgtime_mutex:  # keepalive bookkeeping, as paho's _packet_read does
                self._inner._last_bytes_received = paho.time_func()
        return wants_more


def _variable_int(buffer: memoryview, position: int, end: int) -> tuple[int, int] | None:
    """An MQTT variable byte integer at `position` (before `end`), and where what follows it starts."""
    value, shift = 0, 0
    while position < end and shift <= 21:
        byte = buffer[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7
    return None


def buffer_reads(client: aiomqtt.Client, deliver: Callable[[list[Any]], None], make: MakeMessage) -> None:
    """Make the client read its socket in large chunks and handle every buffered packet per wake-up.

    QoS 0/1 PUBLISH packets (when manual acks are on, see processor/acks.py) are made into messages by
    `make` and go straight to `deliver` (the put_nowait of the client's incoming queue), a list per read,
    without paho's per-message objects and callbacks. Call before the connection is opened (the CONNACK is
    read through it too).
    """
    inner = paho_client(client)
    reader = _BufferedReader(inner, deliver, make)
    # Instance attributes shadow the methods: only this client is affected.
    inner._sock_recv = reader.recv  # type: ignore[method-assign]
    inner.loop_read = reader.loop_read  # type: ignore[method-assign]


def queue_pubacks(inner: paho.Client, pubacks: bytes) -> None:
    """Put PUBACK packets (already encoded, back to back) in paho's output queue as one write."""
    # The command only matters to paho for PUBLISH/DISCONNECT.
    inner._packet_queue(paho.PUBACK, pubacks, 0, 1)
