"""Rollouts → broker: retained `devices/{uid}/ota` documents published for each device of a running stage,
cleared once the device finished or its rollout was cancelled; silent devices failed and stages judged
(halted, done, or widened by themselves once their soak time is over).

Like processor.desired_state, a round does everything still to do, so it is right whenever it runs: at start,
on OTA_CHANGED, after the LISTEN connection comes back, when the next device would fall silent or the next
stage's soak time ends, and every SWEEP_INTERVAL as a safety net.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from core.retry import run_rounds
from core.services.ota import delivery
from core.services.ota.rules import Verdict
from processor.counters import Counters
from processor.publisher import Publisher

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 60.0
# Documents awaiting their PUBACK at once: enough that paho always has the next one ready when an ack
# frees one of its 20 slots on the wire (its default max_inflight_messages), so a stage never waits for
# 10 000 round trips one after another; not more, as aiomqtt scans every pending call on each publish
# (bench/ota_findings.md).
IN_FLIGHT = 40


class OtaRollouts:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        publisher: Publisher,
        counters: Counters,
        public_url: str,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._publisher = publisher
        self._counters = counters
        self._public_url = public_url
        self._wanted = asyncio.Event()
        self._wanted.set()  # the first round runs at start
        self._timer: asyncio.TimerHandle | None = None
        # Documents tokened and never marked published are ours to send again only at start and after a
        # publish that failed (core.services.ota.delivery): else they are another processor's, on their way.
        self._leftovers = True

    def trigger(self) -> None:
        self._wanted.set()

    async def run(self) -> None:
        try:
            await run_rounds(self._wanted, self._round, what="ota", log=log, every=SWEEP_INTERVAL)
        finally:
            if self._timer is not None:
                self._timer.cancel()

    async def _round(self) -> None:
        await self._publish()
        await self._clear()
        async with self._sessionmaker() as session:
            verdicts = await delivery.judge(session, datetime.now(UTC))
        for rollout_id, outcome in verdicts.items():
            if outcome in (Verdict.HALT, Verdict.DONE, Verdict.WIDEN):
                self._counters.add(f"rollouts_{outcome}")
                log.info("rollout %s rollout=%s", outcome, rollout_id)
        if Verdict.WIDEN in verdicts.values():
            await self._publish()  # the next stage's devices, in this round rather than on its NOTIFY
        await self._clear()  # a halted or finished stage may have finished devices with it
        await self._wake_at_next_deadline()

    async def _publish(self) -> None:
        """Every unpublished document, as a pipeline: while one batch goes out through a sliding window
        (the next document as soon as any PUBACK is in), the next batch is read and tokened, and the one
        before is stamped published. A batch is stamped only once the broker took all of it; a processor
        that dies before that publishes it again, with new tokens, as the module says."""
        window = asyncio.Semaphore(IN_FLIGHT)
        leftovers, self._leftovers = self._leftovers, True  # stays True if this publish fails
        batch = await self._next_batch(leftovers=leftovers)
        stamping: asyncio.Task[None] | None = None
        try:
            while batch:
                last = batch[-1]
                after = (last.rollout_id, last.device_id)
                upcoming = asyncio.create_task(self._next_batch(after, leftovers=leftovers))
                try:
                    await asyncio.gather(*(self._publish_one(item, window) for item in batch))
                except BaseException:
                    upcoming.cancel()
                    raise
                if stamping is not None:
                    await stamping
                stamping = asyncio.create_task(self._stamp_published(batch))
                batch = await upcoming
        finally:
            if stamping is not None:
                await stamping
        self._leftovers = False

    async def _next_batch(
        self, after: tuple[int, int] = (0, 0), *, leftovers: bool
    ) -> list[delivery.OutgoingOta]:
        async with self._sessionmaker() as session:
            return await delivery.unpublished(session, self._public_url, after=after, leftovers=leftovers)

    async def _publish_one(self, item: delivery.OutgoingOta, window: asyncio.Semaphore) -> None:
        async with window:
            topic = topics.device_topic(item.uid, topics.OTA)
            await self._publisher.publish(topic, orjson.dumps(item.payload), retain=True)

    async def _stamp_published(self, batch: list[delivery.OutgoingOta]) -> None:
        async with self._sessionmaker() as session:
            sent = [(item.rollout_id, item.device_id) for item in batch]
            await delivery.mark_published(session, sent, datetime.now(UTC))
        self._counters.add("ota_published", len(batch))
        log.info("ota published rollout=%s devices=%s", batch[0].rollout_id, len(batch))

    async def _clear(self) -> None:
        while True:
            async with self._sessionmaker() as session:
                batch = await delivery.to_clear(session)
            if not batch:
                return
            # An empty retained message removes the retained document (MQTT 3.1.1 section 3.3.1.3).
            await asyncio.gather(
                *(
                    self._publisher.publish(topics.device_topic(item.uid, topics.OTA), b"", retain=True)
                    for item in batch
                )
            )
            async with self._sessionmaker() as session:
                await delivery.mark_cleared(session, batch, datetime.now(UTC))
            self._counters.add("ota_cleared", len(batch))

    async def _wake_at_next_deadline(self) -> None:
        async with self._sessionmaker() as session:
            when = await delivery.next_deadline(session, datetime.now(UTC))
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if when is not None:
            delay = max((when - datetime.now(UTC)).total_seconds(), 0.0) + 0.05
            if delay < SWEEP_INTERVAL:
                self._timer = asyncio.get_running_loop().call_later(delay, self._wanted.set)
