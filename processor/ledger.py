"""Acknowledge in receive order, once each message is done (stored, or counted as dropped).

MQTT 3.1.1 (section 4.6) asks a client to send PUBACKs in the order the PUBLISHes arrived, so a message that
is done early (a dropped one) waits for the messages before it that are still in a batch being written.
"""

from __future__ import annotations

from collections import deque

from processor.acks import Acknowledger


class Ticket:
    """Received messages acknowledged together once done: one message, or a run of consecutive messages
    that ingest handed to the same write (`Ledger.track_run`). `mids`: what to acknowledge, in receive
    order (a QoS 0 message needs nothing)."""

    __slots__ = ("done", "generation", "mids", "qos")

    def __init__(self, generation: int, mids: list[int], qos: int) -> None:
        self.generation = generation
        self.mids = mids
        self.qos = qos
        self.done = False


class Ledger:
    """Tickets in receive order; release() acknowledges the done prefix."""

    def __init__(self, acknowledger: Acknowledger) -> None:
        self._acknowledger = acknowledger
        self._tickets: deque[Ticket] = deque()
        self.acked = 0

    def track(self, mid: int, qos: int) -> Ticket:
        ticket = Ticket(self._acknowledger.generation, [mid] if qos else [], qos)
        self._tickets.append(ticket)
        return ticket

    def track_run(self) -> Ticket:
        """An empty QoS 1 ticket at the end of the queue: the caller appends the mids of the QoS 1 messages
        that follow (one object per run instead of one per message: ingest's hot path)."""
        ticket = Ticket(self._acknowledger.generation, [], 1)
        self._tickets.append(ticket)
        return ticket

    def release(self) -> None:
        tickets = self._tickets
        ready = []
        while tickets and tickets[0].done:
            ready.append(tickets.popleft())
        if ready:
            self.acked += self._acknowledger.ack_many(ready)

    def forget_older_generations(self) -> None:
        """After a reconnect the old tickets can never be acked; drop them so they do not block the queue."""
        current = self._acknowledger.generation
        self._tickets = deque(ticket for ticket in self._tickets if ticket.generation == current)

    @property
    def waiting(self) -> int:
        """Messages received and not acknowledged yet."""
        return sum(len(ticket.mids) for ticket in self._tickets)
