"""What the next write will contain: readings as rows, per-device presence, and the tickets to ack after."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.payloads import Event, Reading, Status
from core.telemetry_store import Presence, Row
from processor.ledger import Ticket
from processor.sinks import FreshReading, ReceivedEvent, fresh_reading


@dataclass(slots=True)
class _DeviceNews:
    """Folded in receive order: the last word on each field wins."""

    last_seen: float | None = None
    is_online: bool | None = None
    firmware_version: str | None = None
    last_ip: str | None = None

    def presence(self, device_id: int) -> Presence:
        return _presence((device_id, self.last_seen, self.is_online, self.firmware_version, self.last_ip))


# Without the Python-level __new__ of a NamedTuple call (as processor.mqtt.received): one per device and
# batch.
_presence = functools.partial(tuple.__new__, Presence)


@dataclass(slots=True)
class Batch:
    rows: list[Row] = field(default_factory=list)
    # Beside `rows`, one each: what the urgency check and the sinks get (`fresh_readings`).
    readings: list[FreshReading] = field(default_factory=list)
    events: list[ReceivedEvent] = field(default_factory=list)
    news: dict[int, _DeviceNews] = field(default_factory=dict)
    # What to acknowledge once the batch is committed; a run ticket (processor.ledger) is added once by
    # whoever opens it, and may hold messages that stored nothing (dropped ones wait for their neighbours).
    tickets: list[Ticket] = field(default_factory=list)
    # Some of its readings were taken for a write ahead (processor.ahead): stored already, most likely.
    written_ahead: bool = False

    def __len__(self) -> int:
        return len(self.tickets)

    def add_reading(self, device_id: int, uid: str, reading: Reading, received_at: float) -> None:
        """One reading of a message whose ticket the batch holds already."""
        self.rows.append((device_id, reading.ts, *reading.values))
        self.readings.append(fresh_reading((device_id, uid, reading)))
        news = self.news.get(device_id)
        if news is None:
            news = self.news[device_id] = _DeviceNews()
        news.last_seen = received_at
        news.is_online = True
        if reading.firmware_version:
            news.firmware_version = reading.firmware_version
        if reading.ip:
            news.last_ip = reading.ip

    def add_readings(
        self,
        device_id: int,
        uid: str,
        readings: list[Reading],
        received_at: float,
        ticket: Ticket | None = None,
    ) -> None:
        """A message's readings, and its ticket unless the batch holds it already."""
        for reading in readings:
            self.add_reading(device_id, uid, reading, received_at)
        if ticket is not None:
            self.tickets.append(ticket)

    def add_status(self, device_id: int, status: Status, received_at: float | None, ticket: Ticket) -> None:
        news = self._news(device_id)
        if received_at is not None:
            news.last_seen = received_at
        news.is_online = status.online
        news.firmware_version = status.firmware_version or news.firmware_version
        news.last_ip = status.ip or news.last_ip
        self.tickets.append(ticket)

    def add_event(self, device_id: int, uid: str, event: Event, received_at: float, ticket: Ticket) -> None:
        news = self._news(device_id)
        news.last_seen = received_at
        news.is_online = True
        self.events.append(ReceivedEvent(device_id, uid, event))
        self.tickets.append(ticket)

    def fresh_readings(self, new_keys: set[tuple[int, float]] | None) -> Sequence[FreshReading]:
        """The readings whose rows were really inserted: all when `new_keys` is None, else those whose
        (device_id, ts) it holds; a key repeated within the batch counts once."""
        if new_keys is None:
            return self.readings
        new = set(new_keys)
        fresh = []
        for row, item in zip(self.rows, self.readings, strict=True):
            key = (row[0], row[1])
            if key in new:
                new.discard(key)
                fresh.append(item)
        return fresh

    def presence(self) -> list[Presence]:
        return [news.presence(device_id) for device_id, news in self.news.items()]

    def _news(self, device_id: int) -> _DeviceNews:
        news = self.news.get(device_id)
        if news is None:
            news = self.news[device_id] = _DeviceNews()
        return news
