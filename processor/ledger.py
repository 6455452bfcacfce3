"""Acknowledge in receive order, once each message is done (stored, or counted as dropped).

MQTT 3.1.1 (section 4.6) asks a client to send PUBACKs in the order the PUBLISHes arrived, so a message that
is done early (a dropped one) waits for the messages before it that are still in a batch being written.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from processor.acks import Acknowledger
from processor.mqtt import Received


class Ticket:
    """One received message waiting for its acknowledgement."""

    __slots__ = ("done", "generation", "mid", "qos")

    def __init__(self, generation: int, mid: int, qos: int) -> None:
        self.generation = generation
        self.mid = mid
        self.qos = qos
        self.done = False


class Ledger:
    """Tickets in receive order; release() acknowledges the done prefix."""

    def __init__(self, acknowledger: Acknowledger) -> None:
        self._acknowledger = acknowledger
        self._tickets: deque[Ticket] = deque()
        self.acked = 0

    def track(self, mid: int, qos: int) -> Ticket:
        ticket = Ticket(self._acknowledger.generation, mid, qos)
        self._tickets.append(ticket)
        return ticket

    def track_all(self, messages: Iterable[Received]) -> list[Ticket]:
        """A ticket for each of `messages`, in order (one call per received batch)."""
        generation = self._acknowledger.generation
        tickets = [Ticket(generation, message.mid, message.qos) for message in messages]
        self._tickets += tickets
        return tickets

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
        return len(self._tickets)
