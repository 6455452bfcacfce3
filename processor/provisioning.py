"""Device side of pairing (SPEC section 4): answer provision requests, announce completed pairings.

Both answers are retained on provision/{uid}/response, so a device that reconnects later still finds them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import UTC, datetime

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import payloads, topics, transport
from core.retry import retry_database, run_rounds
from core.services import pairing
from core.services.broker_access import Access
from processor.broker_access import BrokerAccess
from processor.counters import Counters
from processor.device_directory import DeviceDirectory
from processor.ledger import Ledger, Ticket
from processor.publisher import Publisher

log = logging.getLogger(__name__)

PAIRED = orjson.dumps({"status": "paired"})
# Requests waiting for an answer; each holds back the acknowledgements of the messages received after it.
MAX_QUEUED = 200
REFUSED_OWNED = orjson.dumps({"status": "refused", "reason": "owned"})


def offer_payload(offer: pairing.CodeOffer | None) -> bytes:
    if offer is None:
        return REFUSED_OWNED
    return orjson.dumps(
        {"status": "pending", "code": offer.code, "expires_at": int(offer.expires_at.timestamp())}
    )


class Provisioning:
    """Requests are answered one at a time, off the ingest path, and acked in order once answered."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        publisher: Publisher,
        ledger: Ledger,
        counters: Counters,
        access: BrokerAccess,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._publisher = publisher
        self._ledger = ledger
        self._counters = counters
        self._access = access
        self._queue: asyncio.Queue[tuple[str, payloads.ProvisionRequest, Ticket]] = asyncio.Queue()

    def submit(self, uid: str, request: payloads.ProvisionRequest, ticket: Ticket) -> bool:
        """Queue a request; False when too many wait already (acks behind them would wait too)."""
        if self._queue.qsize() >= MAX_QUEUED:
            return False
        self._queue.put_nowait((uid, request, ticket))
        return True

    async def run(self) -> None:
        while True:
            uid, request, ticket = await self._queue.get()
            try:
                await self._answer(uid, request)
            except Exception:  # one request's bug must not stop pairing for everyone; it is logged
                log.exception("provision request failed uid=%s", uid)
                self._counters.add("provision_failed")
            ticket.done = True
            self._ledger.release()

    async def _answer(self, uid: str, request: payloads.ProvisionRequest) -> None:
        if transport.is_agent(uid):
            # Agents' uids are made by HTTP pairing; one asked for over MQTT would blur which is which.
            self._counters.add("provision_agent_uid")
            log.warning("provision request for an agent's uid ignored uid=%s", uid)
            return
        try:
            offer = await retry_database(
                functools.partial(self._offer, uid, request), what=f"provision uid={uid}", log=log
            )
        except pairing.SecretMismatch:
            # Not the device that registered this uid: no answer, no account, nothing changes.
            self._counters.add("provision_wrong_secret")
            log.warning("provision request with another secret ignored uid=%s", uid)
            return
        if request.secret is not None:
            # The account first, the answer second: the device reads its answer logged in as {uid}.
            await self._access.register(uid, request.secret, Access.PENDING if offer else Access.PAIRED)
        await self._publisher.publish(topics.provision_response(uid), offer_payload(offer), retain=True)
        self._counters.add("provision_offered" if offer else "provision_refused")
        log.info("provision answered uid=%s status=%s", uid, "pending" if offer else "refused")

    async def _offer(self, uid: str, request: payloads.ProvisionRequest) -> pairing.CodeOffer | None:
        try:
            return await self._offer_once(uid, request)
        except IntegrityError:
            # Another processor created the same new device at the same moment: now it exists, we find it.
            return await self._offer_once(uid, request)

    async def _offer_once(self, uid: str, request: payloads.ProvisionRequest) -> pairing.CodeOffer | None:
        async with self._sessionmaker() as session:
            return await pairing.offer_code(
                session,
                uid,
                request.device_type,
                request.firmware_version,
                datetime.now(UTC),
                secret=request.secret,
            )


class PairingAnnouncer:
    """Tells devices `{"status": "paired"}` on NOTIFY and at every (re)connection, for claims not yet told."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        publisher: Publisher,
        directory: DeviceDirectory,
        counters: Counters,
        access: BrokerAccess,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._publisher = publisher
        self._directory = directory
        self._counters = counters
        self._access = access
        self._wanted = asyncio.Event()

    def trigger(self) -> None:
        self._wanted.set()

    async def run(self) -> None:
        await run_rounds(self._wanted, self._announce_all, what="pairing_announcements", log=log)

    async def _announce_all(self) -> None:
        async with self._sessionmaker() as session:
            pending = await pairing.unannounced_pairings(session)
        for code_id, uid in pending:
            # Ingest must know the device, and the broker let it send, before it is told to start sending.
            await self._directory.refresh(uid)
            await self._access.ensure(uid)
            await self._publisher.publish(topics.provision_response(uid), PAIRED, retain=True)
            async with self._sessionmaker() as session:
                await pairing.mark_announced(session, code_id, datetime.now(UTC))
            self._counters.add("paired_announced")
            log.info("pairing announced uid=%s", uid)
