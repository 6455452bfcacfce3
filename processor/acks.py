"""Manual MQTT acknowledgements: a message is acked only once its batch is committed.

aiomqtt 2.5 acknowledges every QoS 1 message as soon as it is received, which would let a crash lose a
message the broker believes delivered. paho 2.2 can leave acknowledging to the application
(`manual_ack_set(True)`, then `ack(mid, qos)`), but aiomqtt does not expose it: the paho client is reached
through processor.paho_internals, the one module touching paho's private parts.

Message ids are only meaningful on the connection that received them: after a reconnect the broker numbers
its redeliveries afresh, so an old mid may name another message. Each connection is a generation; an
acknowledgement for an older generation is discarded (the broker redelivers that message, and the
(device_id, ts) primary key turns the repeat into a no-op).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Protocol

import aiomqtt
import paho.mqtt.client as paho

from processor import paho_internals

# MQTT 3.1.1 section 3.4: PUBACK = fixed header 0x40, remaining length 2, packet identifier; the same in
# MQTT 5, where a remaining length of 2 means reason code 0 (Success) without properties (section 3.4.2.1).
# Packed as one big-endian 32-bit word each, the packet identifier in its low half.
_PUBACK = 0x4002_0000


class Acknowledgeable(Protocol):
    """Messages of one connection (`generation`), all of the same QoS, by packet id in receive order."""

    generation: int
    mids: list[int]
    qos: int


class Acknowledger:
    """Sends PUBACKs for the current connection only.

    `fast`: PUBACKs of a batch go out as one write (paho_internals.queue_pubacks); else one `ack()` each.
    """

    def __init__(self, fast: bool = True) -> None:
        self._fast = fast
        self._generation = 0
        self._paho: paho.Client | None = None

    @property
    def generation(self) -> int:
        return self._generation

    def attach(self, client: aiomqtt.Client) -> int:
        """Turn manual acks on for a client about to connect; returns the new connection's generation.

        Must run before the connection is opened, or the broker's first deliveries would be auto-acked.
        """
        inner = paho_internals.paho_client(client)
        inner.manual_ack_set(True)
        self._generation += 1
        self._paho = inner
        return self._generation

    def detach(self) -> None:
        """The connection is gone: nothing more may be acked until the next attach()."""
        self._paho = None
        self._generation += 1

    def ack(self, generation: int, mid: int, qos: int) -> bool:
        """Acknowledge one message; False if it belonged to an earlier connection (or needs no ack)."""
        if qos == 0 or generation != self._generation or self._paho is None:
            return False
        return self._paho.ack(mid, qos) == paho.MQTT_ERR_SUCCESS

    def ack_many(self, groups: Iterable[Acknowledgeable]) -> int:
        """Acknowledge the groups' messages in the given order with one write; returns how many were acked.

        Same rules as `ack`. paho would queue (and send) one 4-byte packet per message, a syscall each;
        thousands of PUBACKs per committed batch go out as one packet in paho's output queue instead.
        """
        inner = self._paho
        if inner is None:
            return 0
        if not self._fast:
            return sum(self.ack(group.generation, mid, group.qos) for group in groups for mid in group.mids)
        mids: list[int] = []
        acked = 0
        for group in groups:
            if group.generation != self._generation or group.qos == 0:
                continue
            if group.qos == 1:
                mids += group.mids
            else:  # QoS 2 (our subscriptions are QoS 1, so the broker should never send one): paho's way
                acked += _queue(inner, mids) + sum(self.ack(group.generation, mid, 2) for mid in group.mids)
                mids = []
        return acked + _queue(inner, mids)


def _queue(inner: paho.Client, mids: list[int]) -> int:
    if mids:
        pubacks = struct.pack(f"!{len(mids)}I", *[_PUBACK | mid for mid in mids])
        paho_internals.queue_pubacks(inner, pubacks)
    return len(mids)
