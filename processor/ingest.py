"""One received MQTT message → dropped-and-counted, or queued for the next batch (or for provisioning).

No business rules here beyond routing: payloads.py decides what is valid, the writer stores it.
"""

from __future__ import annotations

import time

import aiomqtt

from core import payloads, rate_limit, topics
from processor.counters import Counters
from processor.device_directory import DeviceDirectory
from processor.ledger import Ledger, Ticket
from processor.over_budget import OverBudget
from processor.provisioning import Provisioning
from processor.writer import BatchWriter

UNKNOWN_DEVICE = "unknown_device"
BAD_TOPIC = "bad_topic"
# A message that raised something no parser expected: a bug of ours, triggered by what a device sent.
INTERNAL = "internal"
# Beyond a device's budget (SPEC section 3: 10 messages/s on average, bursts of 6 000), or beyond what
# provisioning answers: a flood of requests (new uids each time) must not grow tables or hold back acks.
RATE_LIMITED = "rate_limited"
PROVISION_OVERLOAD = "provision_overload"
_ALL = "*"


class Ingest:
    def __init__(
        self,
        directory: DeviceDirectory,
        writer: BatchWriter,
        provisioning: Provisioning,
        ledger: Ledger,
        counters: Counters,
        *,
        device_budget: rate_limit.Buckets | None = None,
        over_budget: OverBudget | None = None,
    ) -> None:
        self._directory = directory
        self._writer = writer
        self._provisioning = provisioning
        self._ledger = ledger
        self._counters = counters
        self._device_budget = device_budget or rate_limit.Buckets()
        self._over_budget = over_budget
        # Per uid: a device asks again every few minutes; all together: what PostgreSQL answers comfortably.
        self._provision_budget = rate_limit.Buckets(rate=0.2, burst=5)
        self._provisioning_budget = rate_limit.Buckets(rate=50, burst=500)

    async def handle(self, message: aiomqtt.Message) -> None:
        """Never raises for anything a message holds: whatever goes wrong drops and counts this message only,
        and it is acknowledged (a message that broke us once would break us again on every redelivery)."""
        ticket = self._ledger.track(message.mid, message.qos)
        self._counters.add("messages")
        topic = message.topic.value
        payload = message.payload
        if not isinstance(payload, bytes):  # aiomqtt types it loosely; from the wire it is always bytes
            payload = str(payload).encode()
        try:
            await self._handle(topic, payload, ticket, retained=message.retain)
        except Exception:  # isolation: see the docstring; the traceback is logged (throttled)
            if not ticket.done:
                self._counters.failed(INTERNAL, "-", topic, payload)
                self._done(ticket)

    async def _handle(self, topic: str, payload: bytes, ticket: Ticket, *, retained: bool) -> None:
        route = topics.parse(topic)
        if route is None:
            self._drop(ticket, BAD_TOPIC, "-", topic, payload)
            return
        uid, kind = route
        if kind == "provision":
            self._provision(uid, topic, payload, ticket)
            return
        device_id = self._directory.get(uid)
        if device_id is None:
            device_id = await self._directory.resolve(uid)
        if device_id is None:
            self._drop(ticket, UNKNOWN_DEVICE, uid, topic, payload)
            return
        if not self._device_budget.allow(device_id):
            self._drop(ticket, RATE_LIMITED, uid, topic, payload)
            if self._over_budget is not None:
                self._over_budget.note(device_id)
            return
        try:
            self._route(kind, device_id, uid, payload, ticket, retained=retained)
        except payloads.Rejected as bad:
            self._drop(ticket, bad.reason, uid, topic, payload)
            return
        self._writer.added()

    def _route(
        self, kind: str, device_id: int, uid: str, payload: bytes, ticket: Ticket, *, retained: bool
    ) -> None:
        now = time.time()
        if kind == topics.TELEMETRY:
            self._telemetry(device_id, uid, payload, ticket, now, retained=retained)
        elif kind == topics.STATUS:
            status = payloads.parse_status(payload, uid)
            self._counters.add("statuses")
            # A retained status replayed on (re)subscribe is old news: it says nothing about "last seen".
            self._writer.pending.add_status(device_id, status, None if retained else now, ticket)
        else:
            event = payloads.parse_event(payload, uid)
            self._counters.add("events")
            self._writer.pending.add_event(device_id, uid, event, now, ticket)

    def _telemetry(
        self, device_id: int, uid: str, payload: bytes, ticket: Ticket, now: float, *, retained: bool
    ) -> None:
        if retained:
            # The broker replays a retained reading on every (re)subscribe; it came in live when published.
            # Without a timestamp it would be stored again as a reading "now" each time.
            self._counters.add("retained_telemetry_ignored")
            self._done(ticket)
            return
        parsed = payloads.parse_telemetry(payload, uid, now)
        for reason in parsed.rejected:
            self._counters.drop(reason, uid, topics.device_topic(uid, topics.TELEMETRY), payload)
        if not parsed.readings:
            self._done(ticket)
            return
        self._counters.add("readings", len(parsed.readings))
        self._writer.pending.add_readings(device_id, uid, parsed.readings, now, ticket)

    def _provision(self, uid: str, topic: str, payload: bytes, ticket: Ticket) -> None:
        try:
            request = payloads.parse_provision_request(payload, uid)
        except payloads.Rejected as bad:
            self._drop(ticket, bad.reason, uid, topic, payload)
            return
        if not (self._provision_budget.allow(uid) and self._provisioning_budget.allow(_ALL)):
            self._drop(ticket, RATE_LIMITED, uid, topic, payload)
            return
        if not self._provisioning.submit(uid, request, ticket):
            self._drop(ticket, PROVISION_OVERLOAD, uid, topic, payload)
            return
        self._counters.add("provision_requests")

    def _drop(self, ticket: Ticket, reason: str, uid: str, topic: str, payload: bytes) -> None:
        self._counters.drop(reason, uid, topic, payload)
        self._done(ticket)

    def _done(self, ticket: Ticket) -> None:
        """Nothing to store for this message: it may be acked as soon as the messages before it are."""
        ticket.done = True
        self._ledger.release()
