"""What the next write will contain: readings as rows, per-device presence, and the tickets to ack after."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.payloads import Event, Reading, Status
from core.telemetry_store import Presence, Row
from processor.ledger import Ticket
from processor.sinks import FreshReading, ReceivedEvent

_moment = datetime.fromtimestamp


@dataclass(slots=True)
class _DeviceNews:
    """Folded in receive order: the last word on each field wins."""

    last_seen: float | None = None
    is_online: bool | None = None
    firmware_version: str | None = None
    last_ip: str | None = None

    def presence(self, device_id: int) -> Presence:
        seen = datetime.fromtimestamp(self.last_seen, UTC) if self.last_seen is not None else None
        return Presence(device_id, seen, self.is_online, self.firmware_version, self.last_ip)


@dataclass(slots=True)
class Batch:
    rows: list[Row] = field(default_factory=list)
    # Beside `rows`, one each: what the sinks get for the rows that prove new (`fresh_readings`).
    readings: list[Reading] = field(default_factory=list)
    uids: list[str] = field(default_factory=list)
    events: list[ReceivedEvent] = field(default_factory=list)
    news: dict[int, _DeviceNews] = field(default_factory=dict)
    tickets: list[Ticket] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tickets)

    def add_readings(
        self, device_id: int, uid: str, readings: list[Reading], received_at: float, ticket: Ticket
    ) -> None:
        rows = self.rows
        for reading in readings:
            rows.append((device_id, _moment(reading.ts, UTC), *reading.values))
        self.readings += readings
        self.uids += [uid] * len(readings)
        news = self._news(device_id)
        news.last_seen = received_at
        news.is_online = True
        last = readings[-1]
        news.firmware_version = last.firmware_version or news.firmware_version
        news.last_ip = last.ip or news.last_ip
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

    def fresh_readings(self, new_keys: Iterable[tuple[int, datetime]]) -> list[FreshReading]:
        """The readings whose rows were really inserted; a key repeated within the batch counts once."""
        new = set(new_keys)
        fresh = []
        for row, uid, reading in zip(self.rows, self.uids, self.readings, strict=True):
            key = (row[0], row[1])
            if key in new:
                new.discard(key)
                fresh.append(FreshReading(row[0], uid, reading))
        return fresh

    def readings_from(self, start: int) -> Iterator[FreshReading]:
        """The readings added after the first `start`, as the sinks get them."""
        rows, uids, readings = self.rows[start:], self.uids[start:], self.readings[start:]
        for row, uid, reading in zip(rows, uids, readings, strict=True):
            yield FreshReading(row[0], uid, reading)

    def presence(self) -> list[Presence]:
        return [news.presence(device_id) for device_id, news in self.news.items()]

    def _news(self, device_id: int) -> _DeviceNews:
        news = self.news.get(device_id)
        if news is None:
            news = self.news[device_id] = _DeviceNews()
        return news
