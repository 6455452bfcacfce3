"""The MQTT session: MQTT 5, persistent (fixed client id, no clean start) until its expiry, QoS 1,
reconnecting with backoff."""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import Callable
from typing import NamedTuple, cast

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from core import topics
from core.settings import MqttSettings
from processor import paho_internals

log = logging.getLogger(__name__)

KEEPALIVE = 30
# Publishes awaiting their PUBACK beyond which aiomqtt warns: well above what the processor sends at once.
PENDING_PUBLISHES = 1000
# At most this many queued messages are taken at once: enough to amortise the per-message wake-up, few
# enough that acks and flushes still get the event loop in between.
DRAIN_LIMIT = 2000
BARRIER_TIMEOUT = 10.0
# After a persistent-session reconnect Mosquitto sends queued messages before the SUBACK (seen after ~20 000
# of them): aiomqtt's default 10 s could expire on a starved host and drop the connection over and over.
SUBSCRIBE_TIMEOUT = 120.0
# QoS 1 messages the broker may have unacknowledged with us at once (MQTT 5's Receive Maximum, 65 535 when
# not sent): the shipped configuration's max_inflight_messages, for its reason (acks follow the ~200 ms
# commits; an outage's backlog must not all land in memory at once).
RECEIVE_MAXIMUM = 20000


class Received(NamedTuple):
    """One PUBLISH as ingest needs it: cheaper than aiomqtt.Message (no Topic object, no properties)."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    mid: int


# A Received from its fields as one tuple, without the Python-level __new__ a NamedTuple call runs: the fast
# receive path makes one per message.
received = functools.partial(tuple.__new__, Received)

# What the inbox holds: a message from paho's callback (stock path), or every PUBLISH of one socket read
# (processor.paho_internals), so the fast path pays for one queue operation per read, not per message.
Arrival = aiomqtt.Message | list[Received]


class Inbox(asyncio.Queue[Arrival]):
    """aiomqtt's incoming queue, with a way to take everything already waiting in one go."""

    def drain(self, first: object, limit: int = DRAIN_LIMIT) -> list[Received]:
        """`first` (what `client.messages` yielded) and what else is waiting, up to about `limit` messages."""
        taken: list[Received] = []
        arrival = cast(Arrival, first)
        while True:
            if isinstance(arrival, list):
                taken += arrival
            else:
                payload = arrival.payload
                if not isinstance(payload, bytes):  # aiomqtt types it loosely; from the wire it is bytes
                    payload = str(payload).encode()
                taken.append(Received(arrival.topic.value, payload, arrival.qos, arrival.retain, arrival.mid))
            if len(taken) >= limit or self.empty():
                return taken
            arrival = self.get_nowait()


def make_client(settings: MqttSettings, *, fast_path: bool) -> tuple[aiomqtt.Client, Inbox]:
    """A client for one connection attempt, and its inbox (a fresh one: old mids must not leak across).

    `fast_path`: buffered reads straight into the inbox (processor.paho_internals), decided at start.
    """
    inboxes: list[Inbox] = []

    def make_inbox(maxsize: int = 0) -> Inbox:
        inbox = Inbox(maxsize)
        inboxes.append(inbox)
        return inbox

    client = aiomqtt.Client(
        settings.mqtt_host,
        settings.mqtt_port,
        identifier=settings.mqtt_client_id,
        # Never a clean start, not even on a process's first connection: a restarted processor takes back
        # its queue. MQTT 5 because of the session's expiry (SPEC 10): a shared-group member gone for good
        # stops taking a share once the broker drops its session.
        protocol=aiomqtt.ProtocolVersion.V5,
        clean_start=False,
        properties=_connect_properties(settings),
        username=settings.mqtt_username or None,
        password=settings.mqtt_password.get_secret_value() or None,
        tls_context=ssl.create_default_context() if settings.mqtt_tls else None,
        keepalive=KEEPALIVE,
        queue_type=cast(Callable[..., asyncio.Queue[aiomqtt.Message]], make_inbox),  # type: ignore[arg-type]
    )
    # aiomqtt logs a warning for every publish made while more than this many await their PUBACK (10 by
    # default); the processor keeps dozens pending on purpose (processor.ota.IN_FLIGHT), and a stage to
    # 10 000 devices wrote nearly a warning line per document (bench/ota_findings.md).
    client.pending_calls_threshold = PENDING_PUBLISHES
    if fast_path:
        paho_internals.buffer_reads(client, inboxes[0].put_nowait, received)
    return client, inboxes[0]


def _connect_properties(settings: MqttSettings) -> Properties:
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = settings.session_expiry
    properties.ReceiveMaximum = RECEIVE_MAXIMUM
    return properties


async def subscribe(client: aiomqtt.Client, settings: MqttSettings) -> list[str]:
    filters = topics.server_subscriptions(settings.mqtt_shared_group)
    await client.subscribe([(topic_filter, 1) for topic_filter in filters], timeout=SUBSCRIBE_TIMEOUT)
    return filters


# Never subscribed by anyone: unsubscribing from it changes nothing and gets an UNSUBACK back.
_BARRIER_FILTER = "smartair/processor/barrier"


async def barrier(client: aiomqtt.Client) -> None:
    """Return once the broker has handled every packet sent before, our PUBACKs included.

    The broker handles a client's packets in order, so its UNSUBACK proves the acks were processed. Needed
    before a graceful disconnect: closing a socket that still has unread incoming data (the broker keeps
    sending) makes Linux reset the connection, and the broker drops the acks still in its receive buffer.
    """
    await client.unsubscribe(_BARRIER_FILTER, timeout=BARRIER_TIMEOUT)
