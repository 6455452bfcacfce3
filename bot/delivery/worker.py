"""The delivery worker: claims due outbox rows, sends them within Telegram's limits, records the outcome.

Never twice: a row is ours only while its lease runs (core.services.outbox). A send starts only while enough
of the lease is left for the request to finish (`send_budget`), and `sent` is committed right after Telegram
accepts. Rows we could not start in time are handed back, never sent late. What remains is the crash window
between Telegram's answer and that commit (see core.services.outbox for why it is accepted).

Outcomes: accepted → sent; 429 → back to pending after retry_after, the chat (or everything) paused, the
attempt not counted; 403 → the user is inactive and their rows fail, others carry on; 400 → failed (the
message itself is wrong, retrying cannot help); network, timeout, 5xx → retried with bounded backoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.limiter import SendLimiter
from bot.delivery.render import post, render
from bot.delivery.settings import DeliverySettings
from bot.texts import Catalogue
from bot.views.notices import UnreadableNotice
from core.db import asyncpg_dsn
from core.retry import DATABASE_ERRORS, Backoff, is_transient, wait_event
from core.services import outbox
from core.supervisor import Supervisor

logger = logging.getLogger(__name__)

# Shown in pg_stat_activity: the connections that claim due rows and record `sent` as Telegram answers.
SENT_APPLICATION_NAME = "smartair_outbox_sent"

MAX_BACKOFF = 300.0
# A row that failed for a passing reason comes back after 2, 4, 8 … s, at most 5 min, with jitter so many
# failed rows do not come back in one burst.
ROW_RETRY = Backoff(first=2.0, ceiling=MAX_BACKOFF, jitter=0.2)
# Two chats answering 429 within this many seconds: the limit is the bot's, not one chat's.
FLOOD_WINDOW = 1.0


def now_utc() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int) -> timedelta:
    """How long a row that failed `attempts` times waits before its next try (see ROW_RETRY)."""
    return timedelta(seconds=ROW_RETRY.delay(max(attempts, 1) - 1))


class DeliveryWorker:
    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        catalogue: Catalogue,
        settings: DeliverySettings,
        limiter: SendLimiter | None = None,
        *,
        database_url: str | None = None,
    ) -> None:
        self._bot = bot
        # With a URL, claims and `sent` take one round trip each on connections kept for them (_kept_pool).
        self._dsn = asyncpg_dsn(database_url) if database_url else None
        self._sent_pool: asyncpg.Pool | None = None
        self._sessions = sessionmaker
        self._catalogue = catalogue
        self._settings = settings
        self._limiter = limiter or SendLimiter()
        self.wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._room = asyncio.Event()
        # Rows claimed and not yet settled -> the monotonic moment after which a send must not start.
        self._deadlines: dict[int, float] = {}
        self._sending: set[int] = set()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._bulk: set[int] = set()  # broadcast rows among those claimed
        # Sends by result, exported on /metrics (bot.delivery.metrics).
        self.outcomes: Counter[str] = Counter()
        self._queued: Counter[int] = Counter()  # rows waiting per chat, to stay inside the lease
        self._last_flood: tuple[int, float] = (0, 0.0)
        self._idle = asyncio.Event()  # clear while run() is under way
        self._idle.set()

    # ---- the loop ----------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Claim and deliver until `stop()`."""
        self._idle.clear()
        try:
            await self._claim_and_deliver()
        finally:
            self._idle.set()

    async def _claim_and_deliver(self) -> None:
        pauses = Backoff(first=2.0, ceiling=30.0)
        while not self._stop.is_set():
            room = self._settings.max_in_flight - len(self._deadlines)
            if room <= 0:
                await self._wait_for(self._room, seconds=self._settings.poll_seconds)
                continue
            self.wake.clear()
            try:
                claimed = await self._claim(min(room, self._settings.batch), self._bulk_room())
            except DATABASE_ERRORS as error:
                if not is_transient(error):
                    raise
                pause = pauses.next_delay()
                logger.warning("outbox claim failed error=%s retry_in=%s", type(error).__name__, pause)
                await self._wait_for(self._stop, seconds=pause)
                continue
            pauses.reset()
            for row in claimed:
                self._start(row)
            if len(claimed) < min(room, self._settings.batch):
                await self._wait_for(self.wake, seconds=self._settings.poll_seconds)

    def start(self, tasks: Supervisor) -> None:
        tasks.start("outbox_deliver", self.run)

    async def stop(self) -> None:
        """Stop claiming, let sends under way finish, hand back the rows not started (no lease wait)."""
        self._stop.set()
        await wait_event(self._idle, self._settings.request_timeout)
        waiting = [task for row_id, task in self._tasks.items() if row_id not in self._sending]
        for task in waiting:
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks.values()), timeout=self._settings.request_timeout + 5)
        unsettled = list(self._deadlines)
        if unsettled:
            await self._settle_many(unsettled)
        if self._sent_pool is not None:
            await self._sent_pool.close()
            self._sent_pool = None

    # ---- one row -------------------------------------------------------------------------------------------

    def _bulk_room(self) -> int:
        self._bulk.intersection_update(self._deadlines)
        return max(0, self._settings.broadcast_in_flight - len(self._bulk))

    async def _claim(self, limit: int, bulk_limit: int) -> list[outbox.Claimed]:
        lease = timedelta(seconds=self._settings.lease_seconds)
        if self._dsn is not None:
            # One round trip on the kept connections: an alert's NOTIFY is followed by this claim.
            try:
                pool = await self._kept_pool()
                return await outbox.claim_due_at_once(pool, limit, now_utc(), lease, bulk_limit)
            except DATABASE_ERRORS:
                await self._close_sent_pool()
                raise
        async with self._sessions() as session:
            claimed = await outbox.claim_due(session, limit, now_utc(), lease, bulk_limit)
            await session.commit()
        return claimed

    def _start(self, row: outbox.Claimed) -> None:
        deadline = time.monotonic() + self._settings.send_budget
        if self._stop.is_set():
            self._deadlines[row.id] = deadline  # stop() hands it back
            return
        if row.id in self._deadlines:
            # Our own lease lapsed and we claimed the row again: the task already holding it may go on.
            self._deadlines[row.id] = deadline
            return
        self._deadlines[row.id] = deadline
        if row.broadcast_id is not None:
            self._bulk.add(row.id)
        task = asyncio.create_task(self._deliver(row), name=f"deliver-{row.id}")
        self._tasks[row.id] = task
        task.add_done_callback(lambda _task, row_id=row.id: self._finished(row_id))

    def _finished(self, row_id: int) -> None:
        self._tasks.pop(row_id, None)
        if row_id in self._bulk:
            self._bulk.discard(row_id)
            # Fewer broadcast rows are claimed than asked for on purpose: the next ones are due right away.
            self.wake.set()
        if not self._stop.is_set():
            # Settled, or failed unexpectedly: either way a later claim of the row may start a new task.
            self._deadlines.pop(row_id, None)
        self._room.set()

    async def _deliver(self, row: outbox.Claimed) -> None:
        try:
            await self._deliver_in_turn(row)
        except asyncio.CancelledError:
            raise
        except Exception:
            # One broken row must not stop the worker; it comes back after a pause, attempts bounded.
            logger.exception("notice delivery failed unexpectedly outbox_id=%s", row.id)
            wait = backoff(row.attempts)
            await self._settle(
                row.id, lambda s: outbox.mark_retry(s, row.id, "internal error", wait, now_utc())
            )

    async def _deliver_in_turn(self, row: outbox.Claimed) -> None:
        chat = row.telegram_id
        expected_wait = self._limiter.chat_wait(chat) + self._queued[chat] * self._limiter.chat_interval
        if time.monotonic() + expected_wait > self._deadlines[row.id]:
            # This chat is paused or has a queue longer than the lease: give the row back for later.
            await self._settle(row.id, lambda s: self._hand_back(s, row.id, expected_wait))
            return
        self._queued[chat] += 1
        try:
            await self._limiter.acquire(chat)
        finally:
            self._queued[chat] -= 1
            if self._queued[chat] <= 0:
                del self._queued[chat]
        if time.monotonic() > self._deadlines[row.id]:
            logger.warning("outbox row not started within its lease outbox_id=%s", row.id)
            await self._settle(row.id, lambda s: self._hand_back(s, row.id, 0.0))
            return
        self._sending.add(row.id)
        try:
            await self._send(row)
        finally:
            self._sending.discard(row.id)

    async def _send(self, row: outbox.Claimed) -> None:
        try:
            rendered = render(self._catalogue, row, now_utc())
        except UnreadableNotice as error:
            reason = str(error)
            logger.error("outbox row cannot be rendered outbox_id=%s error=%s", row.id, reason)
            await self._settle(row.id, lambda s: outbox.mark_failed(s, row.id, reason))
            return
        try:
            message = await post(
                self._bot, row.telegram_id, rendered, request_timeout=int(self._settings.request_timeout)
            )
        except TelegramRetryAfter as error:
            self.outcomes["retry_after"] += 1
            self._flood(row.telegram_id, error.retry_after)
            logger.warning(
                "telegram flood control outbox_id=%s user_id=%s retry_after=%s",
                row.id,
                row.user_id,
                error.retry_after,
            )
            wait = timedelta(seconds=error.retry_after)
            await self._settle(
                row.id, lambda s: outbox.mark_retry(s, row.id, "429", wait, now_utc(), counts=False)
            )
        except TelegramForbiddenError:
            self.outcomes["blocked"] += 1
            logger.info("user blocked the bot user_id=%s outbox_id=%s", row.user_id, row.id)
            await self._settle(row.id, lambda s: outbox.mark_user_blocked(s, row.user_id))
        except (TelegramBadRequest, TelegramNotFound) as error:
            self.outcomes["refused"] += 1
            reason = error.message
            logger.error("telegram refused the notice outbox_id=%s error=%s", row.id, reason)
            await self._settle(row.id, lambda s: outbox.mark_failed(s, row.id, reason))
        except (TelegramNetworkError, TelegramServerError, TimeoutError) as error:
            self.outcomes["retry"] += 1
            logger.warning("notice send failed outbox_id=%s attempt=%s error=%s", row.id, row.attempts, error)
            reason, wait = str(error), backoff(row.attempts)
            await self._settle(row.id, lambda s: outbox.mark_retry(s, row.id, reason, wait, now_utc()))
        else:
            # Nothing before the commit: until `sent` is recorded, a crash means sending this row again.
            await self._record_sent(row.id, message.message_id)
            self.outcomes["sent"] += 1
            logger.info("notice sent outbox_id=%s user_id=%s kind=%s", row.id, row.user_id, row.kind)

    async def _record_sent(self, row_id: int, message_id: int) -> None:
        """Commit `sent` at once: one statement on a kept connection (no pool ping, no BEGIN/COMMIT round
        trips), which is the whole window in which a crash duplicates the message; the session path (retried
        while the lease lasts) when that connection is not there."""
        try:
            if self._dsn is not None:
                await outbox.mark_sent_at_once(await self._kept_pool(), row_id, message_id, now_utc())
                self._deadlines.pop(row_id, None)
                return
        except DATABASE_ERRORS as error:
            logger.warning("sent not recorded at once, retrying outbox_id=%s error=%r", row_id, error)
            await self._close_sent_pool()
        await self._settle(row_id, lambda s: outbox.mark_sent(s, row_id, message_id, now_utc()), persist=True)

    async def _kept_pool(self) -> asyncpg.Pool:
        """The connections kept for one-statement claims and `sent` records (no pool check, no BEGIN)."""
        if self._sent_pool is None:
            self._sent_pool = await asyncpg.create_pool(
                self._dsn,
                min_size=1,
                max_size=4,
                timeout=10,
                command_timeout=self._settings.request_timeout,
                server_settings={"application_name": SENT_APPLICATION_NAME},
            )
        return self._sent_pool

    async def _close_sent_pool(self) -> None:
        pool, self._sent_pool = self._sent_pool, None
        if pool is not None:
            pool.terminate()

    def _flood(self, chat: int, retry_after: float) -> None:
        self._limiter.pause_chat(chat, retry_after)
        other_chat, at = self._last_flood
        if other_chat != chat and time.monotonic() - at < FLOOD_WINDOW:
            self._limiter.pause_all(retry_after)
        self._last_flood = (chat, time.monotonic())

    @staticmethod
    async def _hand_back(session: AsyncSession, row_id: int, after: float) -> None:
        await outbox.mark_retry(
            session, row_id, "deferred", timedelta(seconds=after), now_utc(), counts=False
        )

    # ---- recording outcomes -------------------------------------------------------------------------------

    async def _settle(
        self, row_id: int, write: Callable[[AsyncSession], Awaitable[object]], *, persist: bool = False
    ) -> None:
        """Commit the row's outcome. `persist`: a sent row is retried while the lease lasts, because a lost
        `sent` would mean sending it again; other outcomes may be lost (the lease brings the row back)."""
        deadline = time.monotonic() + (self._settings.lease_seconds if persist else 0)
        pauses = Backoff(first=0.5, ceiling=5.0)
        while True:
            try:
                async with self._sessions() as session:
                    await write(session)
                    await session.commit()
                break
            except DATABASE_ERRORS as error:
                pause = pauses.next_delay()
                if time.monotonic() + pause > deadline:
                    logger.error("outbox outcome not recorded outbox_id=%s error=%s", row_id, error)
                    break
                await asyncio.sleep(pause)
        self._deadlines.pop(row_id, None)

    async def _settle_many(self, row_ids: list[int]) -> None:
        try:
            async with self._sessions() as session:
                for row_id in row_ids:
                    await self._hand_back(session, row_id, 0.0)
                await session.commit()
        except DATABASE_ERRORS as error:
            logger.warning(
                "rows not handed back, their lease will expire count=%s error=%s", len(row_ids), error
            )
        for row_id in row_ids:
            self._deadlines.pop(row_id, None)

    async def _wait_for(self, event: asyncio.Event, seconds: float) -> None:
        waiters = {asyncio.ensure_future(event.wait()), asyncio.ensure_future(self._stop.wait())}
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if event is self._room:
            self._room.clear()
