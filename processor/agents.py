"""HTTP pairing and ingest for agents without MQTT (SPEC 3a), on the processor's HTTP side.

`POST /api/pair` and `GET /api/pair/{uid}` pair an agent by code (core.services.agents). `POST /api/metrics`
takes InfluxDB line protocol (Telegraf's `outputs.http`, `data_format = "influx"`) or the JSON reading of the
MQTT contract, with `Authorization: Bearer {token}`. Readings join the same batches as MQTT readings (so
alerts, presence and the rollup see them alike), and the answer waits for their commit: 204 means stored.
A malformed line is refused with 400 naming it; the good lines of the same request are kept. Nothing a
request holds can stop the processor: an unexpected error answers 500 for that request only, counted.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import line_protocol, payloads, telegraf
from core.rate_limit import Buckets
from core.services import agents
from processor.counters import Counters
from processor.ingest import INTERNAL, RATE_LIMITED
from processor.ledger import Ticket
from processor.over_budget import OverBudget
from processor.writer import BatchWriter

log = logging.getLogger(__name__)

MAX_METRICS_BYTES = 1024 * 1024  # Telegraf's default batch (1 000 metrics) is far below this
_HOSTNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_BEARER = re.compile(r"Bearer ([A-Za-z0-9_-]{20,128})")
_TOPIC = "/api/metrics"  # what the drop log shows where MQTT shows a topic
# Anyone may ask for a pairing code: a pending device row each, so one address gets a few a minute.
PAIRINGS_PER_MINUTE = 5

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AgentApi:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        writer: BatchWriter,
        counters: Counters,
        *,
        device_budget: Buckets,
        over_budget: OverBudget,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._writer = writer
        self._counters = counters
        # The same budget and the same owner's notice as MQTT ingest (SPEC 3): a request is one message.
        self._device_budget = device_budget
        self._over_budget = over_budget
        self._pairings = Buckets(rate=PAIRINGS_PER_MINUTE / 60, burst=PAIRINGS_PER_MINUTE)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/api/pair", self._guarded(self.pair))
        app.router.add_get("/api/pair/{uid}", self._guarded(self.poll))
        app.router.add_post("/api/metrics", self._guarded(self.metrics))

    async def pair(self, request: web.Request) -> web.Response:
        if not self._pairings.allow(request.remote):
            return _error(429, "too many pairing requests")
        body = _json_object(await request.read())
        device_type, hostname = body.get("device_type"), body.get("hostname")
        if not isinstance(device_type, str):
            return _error(400, "device_type is required")
        if hostname is not None and (not isinstance(hostname, str) or not _HOSTNAME.fullmatch(hostname)):
            return _error(400, "hostname must be 1-100 characters of letters, digits, '.', '_' or '-'")
        async with self._sessionmaker() as session:
            try:
                started = await agents.start_pairing(session, device_type, hostname, datetime.now(UTC))
            except agents.UnknownDeviceType:
                return _error(400, f"unknown device_type {device_type[:32]!r}")
        self._counters.add("agent_pairings")
        log.info("agent pairing started uid=%s device_type=%s", started.uid, device_type)
        return web.json_response(
            {
                "uid": started.uid,
                "code": started.code,
                "expires_at": int(started.expires_at.timestamp()),
                "poll": f"/api/pair/{started.uid}",
            }
        )

    async def poll(self, request: web.Request) -> web.Response:
        async with self._sessionmaker() as session:
            result = await agents.poll(session, request.match_info["uid"], datetime.now(UTC))
        if result.status == "unknown":
            return _error(404, "no such pairing")
        answer: dict[str, Any] = {"status": result.status}
        if result.token is not None:
            answer["token"] = result.token
            log.info("agent token issued uid=%s", request.match_info["uid"])
        return web.json_response(answer)

    async def metrics(self, request: web.Request) -> web.Response:
        match = _BEARER.fullmatch(request.headers.get("Authorization", ""))
        if match is None:
            return _unauthorized()
        async with self._sessionmaker() as session:
            agent = await agents.authenticate(session, match.group(1))
        if agent is None:
            self._counters.add("agent_unauthorized")
            return _unauthorized()
        if not self._device_budget.allow(agent.device_id):
            self._counters.drop(RATE_LIMITED, agent.uid, _TOPIC, b"")
            self._over_budget.note(agent.device_id)
            return _error(429, "too many requests for this device")
        if request.content_length is not None and request.content_length > MAX_METRICS_BYTES:
            self._counters.drop(payloads.OVERSIZE, agent.uid, _TOPIC, b"")
            return _error(413, "body too large")
        body = await request.read()
        now = time.time()
        if request.content_type == "application/json":
            readings, bad = self._json_readings(agent, body, now)
        else:
            readings, bad = self._line_readings(agent, body, now)
        if readings:
            await self._store(agent, readings, now)
        if bad:
            return _error(400, "; ".join(bad), lines=bad)
        return web.Response(status=204)

    # ---- internals -----------------------------------------------------------------------------------------

    def _json_readings(
        self, agent: agents.Agent, body: bytes, now: float
    ) -> tuple[list[payloads.Reading], list[str]]:
        ranges = payloads.type_ranges(agent.device_type)
        try:
            parsed = payloads.parse_telemetry(body, agent.uid, now, ranges)
        except payloads.Rejected as refused:
            self._counters.drop(refused.reason, agent.uid, _TOPIC, body)
            return [], [f"reading: {refused.reason}"]
        for reason in parsed.rejected:
            self._counters.drop(reason, agent.uid, _TOPIC, body)
        return parsed.readings, [f"reading: {reason}" for reason in parsed.rejected]

    def _line_readings(
        self, agent: agents.Agent, body: bytes, now: float
    ) -> tuple[list[payloads.Reading], list[str]]:
        try:
            text = body.decode()
        except UnicodeDecodeError:
            self._counters.drop("malformed_line", agent.uid, _TOPIC, body)
            return [], ["body is not UTF-8"]
        points, bad = line_protocol.parse(text)
        ranges = {name: (low, high) for name, low, high in payloads.type_ranges(agent.device_type)}
        by_ts, refused = telegraf.readings(points, now, ranges)
        bad = sorted([*bad, *refused], key=lambda line: line.number)
        for line in bad:
            self._counters.drop(
                "malformed_line", agent.uid, _TOPIC, text.split("\n")[line.number - 1].encode()
            )
        readings = [payloads.reading(ts, metrics) for ts, metrics in sorted(by_ts.items())]
        return readings, [f"line {line.number}: {line.reason}" for line in bad]

    async def _store(self, agent: agents.Agent, readings: list[payloads.Reading], now: float) -> None:
        # Not in the MQTT ledger: there is nothing to acknowledge to the broker, and an HTTP request must
        # never hold back the PUBACKs of the messages around it.
        ticket = Ticket(-1, [], 0)
        self._counters.add("readings", len(readings))
        self._writer.pending.add_readings(agent.device_id, agent.uid, readings, now, ticket)
        self._writer.added()
        await self._writer.stored(ticket)

    def _guarded(self, handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except _BadRequest as bad:
                return _error(400, str(bad))
            except Exception:  # isolation: one request's bug answers 500 and is logged, nothing else stops
                self._counters.failed(INTERNAL, "-", request.path, b"")
                return _error(500, "internal error")

        return guarded


class _BadRequest(ValueError):
    pass


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _BadRequest("body must be a JSON object") from None
    if not isinstance(document, dict):
        raise _BadRequest("body must be a JSON object")
    return document


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def _unauthorized() -> web.Response:
    return web.json_response(
        {"error": "wrong or revoked token"},
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="smartair"'},
    )
