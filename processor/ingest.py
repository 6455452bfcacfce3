"""Each received MQTT message → dropped-and-counted, or queued for the next batch (or for provisioning).

No business rules here beyond routing: payloads.py decides what is valid, the writer stores it.
"""

from __future__ import annotations

import time

from core import payloads, rate_limit, topics
from processor.counters import Counters
from processor.device_directory import DeviceDirectory, Known
from processor.ledger import Ledger, Ticket
from processor.mqtt import Received
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
# Topics remembered with their parse (see Ingest._route_of).
_MAX_ROUTES = 200_000


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
        self._routes: dict[str, tuple[str, str]] = {}

    async def handle(self, messages: list[Received]) -> None:
        """A received batch, in one pass: each message dropped-and-counted, or queued for the next write (or
        for provisioning).

        The common case (telemetry of a known device within its budget) is handled inline: topic from a memo,
        device from the directory's map, budget taken per device for the whole batch, payload through the
        fast parser, and one ticket for each run of such messages (acknowledged with the write they went to;
        a dropped one among them waits for its neighbours' commit); everything else goes message by message
        through `_handle`. Never raises for anything a message holds: whatever goes wrong drops and counts
        that message only, and it is acknowledged (a message that broke us once would break us again on
        every redelivery).
        """
        counters = self._counters
        counters.add("messages", len(messages))
        now = time.time()
        senders, granted = self._senders(messages)
        ledger = self._ledger
        pending = self._writer.pending
        run: Ticket | None = None
        readings = 0
        accepted_reading = payloads.accepted_reading
        for message, sender in zip(messages, senders, strict=True):
            if sender is None:
                run = None  # what follows must be acknowledged after this message
                await self._handle_alone(message)
                pending = self._writer.pending  # the writer may have taken it while we waited
                continue
            if run is None:
                run = ledger.track_run()
                pending.tickets.append(run)
            if message.qos:
                run.mids.append(message.mid)
            try:
                device, uid = sender
                device_id = device.device_id
                left = granted[device_id]
                if left <= 0:
                    self._over(device_id, uid, message)
                    continue
                granted[device_id] = left - 1
                reading = accepted_reading(message.payload, uid, now, device.ranges)
                if reading is not None:
                    pending.add_reading(device_id, uid, reading, now)
                    readings += 1
                    continue
                try:
                    parsed = payloads.parse_telemetry(message.payload, uid, now, device.ranges)
                except payloads.Rejected as bad:
                    counters.drop(bad.reason, uid, message.topic, message.payload)
                    continue
                for reason in parsed.rejected:
                    counters.drop(reason, uid, message.topic, message.payload)
                readings += len(parsed.readings)
                pending.add_readings(device_id, uid, parsed.readings, now)
            except Exception:  # isolation: see the docstring; the traceback is logged (throttled)
                counters.failed(INTERNAL, "-", message.topic, message.payload)
        counters.add("readings", readings)
        self._writer.added()

    def _senders(self, messages: list[Received]) -> tuple[list[tuple[Known, str] | None], dict[int, int]]:
        """Who sent each message on the common path (None: off it), and how many messages each device may
        have. A device's messages are budgeted together: the first `granted` of them pass, as the bucket
        would have let them through one by one."""
        owned = self._directory.owned
        routes = self._routes
        sent: dict[int, int] = {}
        senders: list[tuple[Known, str] | None] = []
        for message in messages:
            route = routes.get(message.topic)
            device = owned.get(route[0]) if route is not None and route[1] == topics.TELEMETRY else None
            if device is None or message.retain or message.qos > 1:
                senders.append(None)
                continue
            senders.append((device, route[0]))  # type: ignore[index]  # route is set when device is
            sent[device.device_id] = sent.get(device.device_id, 0) + 1
        return senders, self._device_budget.take_all(sent)

    async def _handle_alone(self, message: Received) -> None:
        ticket = self._ledger.track(message.mid, message.qos)
        try:
            await self._handle(message, ticket)
        except Exception:  # isolation: see `handle`
            if not ticket.done:
                self._counters.failed(INTERNAL, "-", message.topic, message.payload)
                self._done(ticket)

    async def _handle(self, message: Received, ticket: Ticket) -> None:
        """One message off the common path (see `handle`)."""
        topic, payload = message.topic, message.payload
        route = self._route_of(topic)
        if route is None:
            self._drop(ticket, BAD_TOPIC, "-", topic, payload)
            return
        uid, kind = route
        if kind == "provision":
            self._provision(uid, topic, payload, ticket)
            return
        known = self._directory.get(uid)
        if known is None:
            known = await self._directory.resolve(uid)
        if known is None:
            self._drop(ticket, UNKNOWN_DEVICE, uid, topic, payload)
            return
        if not self._device_budget.allow(known.device_id):
            self._over(known.device_id, uid, message)
            self._done(ticket)
            return
        try:
            self._route(kind, known, uid, payload, ticket, retained=message.retain)
        except payloads.Rejected as bad:
            self._drop(ticket, bad.reason, uid, topic, payload)

    def _route_of(self, topic: str) -> tuple[str, str] | None:
        """topics.parse, remembered: a device publishes on the same few topics all day."""
        route = self._routes.get(topic)
        if route is None:
            route = topics.parse(topic)
            if route is not None:
                if len(self._routes) >= _MAX_ROUTES:
                    self._routes.clear()  # made-up uids must not grow memory
                self._routes[topic] = route
        return route

    def _over(self, device_id: int, uid: str, message: Received) -> None:
        self._counters.drop(RATE_LIMITED, uid, message.topic, message.payload)
        if self._over_budget is not None:
            self._over_budget.note(device_id)

    def _route(
        self, kind: str, known: Known, uid: str, payload: bytes, ticket: Ticket, *, retained: bool
    ) -> None:
        now = time.time()
        device_id = known.device_id
        if kind == topics.TELEMETRY:
            self._telemetry(known, uid, payload, ticket, now, retained=retained)
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
        self, known: Known, uid: str, payload: bytes, ticket: Ticket, now: float, *, retained: bool
    ) -> None:
        if retained:
            # The broker replays a retained reading on every (re)subscribe; it came in live when published.
            # Without a timestamp it would be stored again as a reading "now" each time.
            self._counters.add("retained_telemetry_ignored")
            self._done(ticket)
            return
        parsed = payloads.parse_telemetry(payload, uid, now, known.ranges)
        for reason in parsed.rejected:
            self._counters.drop(reason, uid, topics.device_topic(uid, topics.TELEMETRY), payload)
        if not parsed.readings:
            self._done(ticket)
            return
        self._counters.add("readings", len(parsed.readings))
        self._writer.pending.add_readings(known.device_id, uid, parsed.readings, now, ticket)

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
