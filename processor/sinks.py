"""The seam after commit: who gets told about freshly stored readings and received events.

The alert engine's feed (processor.alerting.AlertFeed) and the device events recorder
(processor.device_events.DeviceEvents) implement `AfterCommit`; the writer calls each sink once per committed
batch, after the acks went out, with only the readings that were new (a redelivered duplicate is not fed
twice) and the batch's events. Sinks must be quick (queue work for themselves): ingest waits.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from core.payloads import Event, Reading

log = logging.getLogger(__name__)


class FreshReading(NamedTuple):
    """A reading as the sinks get it. A NamedTuple (immutable, as the rest here) because one is made per
    reading on the ingest path (the writer asks `urgent` of each): cheaper than a frozen dataclass."""

    device_id: int
    uid: str
    reading: Reading


# A FreshReading from its fields as one tuple, without the Python-level __new__ a NamedTuple call runs (as
# processor.mqtt.received): ingest makes one per reading.
fresh_reading = functools.partial(tuple.__new__, FreshReading)


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    device_id: int
    uid: str
    event: Event


@dataclass(frozen=True, slots=True)
class CommittedBatch:
    readings: Sequence[FreshReading]
    events: Sequence[ReceivedEvent]


class AfterCommit(Protocol):
    async def committed(self, batch: CommittedBatch) -> None: ...


async def feed(sinks: Sequence[AfterCommit], batch: CommittedBatch) -> None:
    """Give `batch` to every sink; one failing sink neither stops the others nor ingest."""
    for sink in sinks:
        try:
            await sink.committed(batch)
        except Exception:  # a sink's bug must not stop ingest: its data is stored and acked already
            log.exception("sink failed sink=%s", type(sink).__name__)
