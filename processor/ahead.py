"""A reading that brings a notice is committed ahead of its batch, with what came before it from its device.

Under load a batch holds the few thousand readings drained with the crossing, and writing them took most of
a notice's time (bench/alert_latency_findings.md). So the writer (processor.writer) first commits, on a
connection of its own, every reading of the crossing devices that no batch has committed yet, and feeds the
new ones to the sinks; the batches that hold them go on as usual, find them stored (the insert skips a key
already there) and feed only the rest. Acks still wait for the batches.

Why every earlier reading of the device, not the crossing alone: the alert engine ignores a reading older
than the last one it took into account, so a dip below the threshold fed after the crossing would be lost,
and the crossing would fire although the dip restarted the hold time (SPEC section 5).

Order, per device, of what the sinks get (the engine's input must stay in receive order):
- A batch fixed (queued for writing) before the write ahead took its readings may commit some of them first:
  the write ahead then finds them stored, and feeds its own only after that batch has fed (`waits_for`).
- A batch fixed after may hold later readings of the same devices: it feeds only after the write ahead is
  done (`holds_back`). It never waits the other way round, so neither can wait for the other for ever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from core.telemetry_store import Row
from processor.batch import Batch
from processor.sinks import FreshReading

Key = tuple[int, float]  # (device_id, ts) as in a Row


@dataclass(slots=True)
class AheadWrite:
    """The readings of `devices` found in the batches not committed yet, in receive order."""

    devices: frozenset[int]
    rows: list[Row] = field(default_factory=list)
    readings: list[FreshReading] = field(default_factory=list)
    # The batches fixed before it, with the keys it took from each.
    before: list[tuple[Batch, set[Key]]] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def gather(cls, devices: Collection[int], fixed: Iterable[Batch], pending: Batch) -> AheadWrite:
        """From the batches `fixed` (being written or queued, oldest first) and the one still `pending`."""
        ahead = cls(frozenset(devices))
        for batch in fixed:
            keys = ahead._take(batch)
            if keys:
                ahead.before.append((batch, keys))
        ahead._take(pending)
        return ahead

    def _take(self, batch: Batch) -> set[Key]:
        devices, keys = self.devices, set()
        for index, row in enumerate(batch.rows):
            if row[0] in devices:
                self.rows.append(row)
                self.readings.append(batch.readings[index])
                keys.add((row[0], row[1]))
        if keys:
            batch.written_ahead = True
        return keys

    def fresh(self, new_keys: Iterable[Key]) -> list[FreshReading]:
        """The readings whose rows the write ahead inserted; a key repeated counts once."""
        new = set(new_keys)
        fresh = []
        for row, reading in zip(self.rows, self.readings, strict=True):
            key = (row[0], row[1])
            if key in new:
                new.discard(key)
                fresh.append(reading)
        return fresh

    def waits_for(self, writing: Batch | None, new_keys: Collection[Key]) -> bool:
        """Whether `writing`, the batch being committed, stored some of these readings before us (so it feeds
        them, and must do so first)."""
        for batch, keys in self.before:
            if batch is writing:
                return not keys.issubset(new_keys)
        return False

    def holds_back(self, batch: Batch, fresh: Iterable[FreshReading]) -> bool:
        """Whether `batch`, just committed, must wait for this write to be done before feeding `fresh`."""
        if self.done.is_set() or any(batch is earlier for earlier, _ in self.before):
            return False
        return any(item.device_id in self.devices for item in fresh)
