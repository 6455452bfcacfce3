"""What the next write will contain: readings as rows, per-device presence, and the tickets to ack after."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.payloads import Event, Reading, Status
from core.telemetry_store import Presence, Row
from processor.ledger import Ticket
from processor.sinks import FreshReading, ReceivedEvent


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
    readings: list[FreshReading] = field(default_factory=list)
    events: list[ReceivedEvent] = field(default_factory=list)
    news: dict[int, _DeviceNews] = field(default_factory=dict)
    tickets: list[Ticket] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tickets)

    def add_readings(
        self, device_id: int, uid: str, readings: list[Reading], received_at: float, ticket: Ticket
    ) -> None:
        for reading in readings:
            ts = datetime.fromtimestamp(reading.ts, UTC)
            self.rows.append((device_id, ts, *reading.values))
            self.readings.append(FreshReading(device_id, uid, reading))
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

    def presence(self) -> list[Presence]:
        return [news.presence(device_id) for device_id, news in self.news.items()]

    def _news(self, device_id: int) -> _DeviceNews:
        news = self.news.get(device_id)
        if news is None:
            news = self.news[device_id] = _DeviceNews()
        return news
