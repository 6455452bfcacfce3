"""Generated payloads thrown at the parsing and storing path (hypothesis): whatever the bytes, parsing either
refuses them with a reason, or yields values that PostgreSQL stores without complaint."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import catalogue, payloads, telemetry_store
from processor.device_events import _record_one
from processor.sinks import ReceivedEvent
from sandbox.seed import new_uid, pair_device

UID = "dev-properties"
NOW = time.time()
FIELDS = (
    "timestamp",
    *catalogue.METRIC_NAMES,
    "uptime",
    "firmware_version",
    "ip",
    "device_uid",
    "status",
    "type",
    "version",
    "id",
    "ok",
    "device_type",
    "secret",
)

# Text that PostgreSQL and JSON make hard: NUL, lone surrogates, newlines, near-miss shapes.
awkward_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(
        ["2.0.1\n", "online\n", "\x00", "\ud800", "a\udfffb", "9" * 33, "1.2.3.4\n", UID, "s" * 22]
    ),
    st.from_regex(r"[A-Za-z0-9._+-]{1,40}", fullmatch=True),
)
awkward_number = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.floats(min_value=-1e6, max_value=1e6),
    st.sampled_from([NOW, NOW + 301, NOW - 31 * 86400, 2**31, 2**63, 10**400, 1e39]),
)
scalar = st.one_of(st.none(), st.booleans(), awkward_number, awkward_text)
value = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(awkward_text, inner, max_size=5)),
    max_leaves=20,
)
document = st.dictionaries(st.sampled_from(FIELDS), value, max_size=10)


def _encode(item: object, ascii_only: bool) -> bytes:
    return json.dumps(item, allow_nan=True, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


raw_payloads = st.one_of(
    st.builds(_encode, document, st.booleans()),
    st.builds(_encode, st.lists(document, max_size=6), st.booleans()),
    st.builds(
        lambda raw, tail: raw + tail, st.builds(_encode, document, st.booleans()), st.binary(max_size=4)
    ),
    st.binary(max_size=200),
)


def _near(low: float, high: float) -> st.SearchStrategy[object]:
    """Mostly plausible for [low, high] (of some type), sometimes just outside it, sometimes anything."""
    top = min(high, 40_000.0)
    return st.one_of(
        st.floats(min_value=low, max_value=top),
        st.floats(min_value=low, max_value=top),
        st.integers(min_value=int(low), max_value=int(top)),
        st.floats(min_value=low - 1, max_value=top + 1),
        st.integers(min_value=int(low) - 1, max_value=int(top) + 1),
        st.none(),
        scalar,
    )


# Readings whose keys are all a reading's: what the fast path of parse_telemetry takes on at all.
reading_document = st.fixed_dictionaries(
    {},
    optional={
        "timestamp": st.one_of(
            st.floats(min_value=NOW - 86400, max_value=NOW + 299),
            st.sampled_from([NOW, NOW + 301, NOW - 31 * 86400]),
            scalar,
        ),
        **{metric.name: _near(metric.low, metric.high) for metric in catalogue.METRICS.values()},
        "uptime": st.one_of(st.integers(min_value=0), st.integers(min_value=0), scalar),
        "firmware_version": st.one_of(
            st.sampled_from(["2.0.1", "::1", "v2\n"]), st.just("2.0.1"), awkward_text
        ),
        "ip": st.one_of(
            st.sampled_from(["192.168.1.50", "::1", "2.0.1", "1.2.3.4\n"]), st.just("::1"), awkward_text
        ),
        "device_uid": st.one_of(st.just(UID), st.just(UID), awkward_text),
    },
)
# Readings that should all pass: the fast path's own ground, where its values must equal the slow path's.
plausible_document = st.fixed_dictionaries(
    {},
    optional={
        "timestamp": st.floats(min_value=NOW - 86400, max_value=NOW + 299),
        **{
            metric.name: st.one_of(
                st.floats(min_value=metric.low, max_value=min(metric.high, 1e6)),
                st.integers(min_value=int(metric.low), max_value=int(min(metric.high, 1e6))),
                st.none(),
            )
            for metric in catalogue.METRICS.values()
        },
        "uptime": st.integers(min_value=0, max_value=2**40),
        "firmware_version": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,31}", fullmatch=True),
        "ip": st.sampled_from(["192.168.1.50", "::1", "fe80::1"]),
        "device_uid": st.just(UID),
    },
)
telemetry_payloads = st.one_of(
    raw_payloads,
    st.builds(_encode, plausible_document, st.booleans()),
    st.builds(_encode, st.lists(plausible_document, min_size=1, max_size=4), st.booleans()),
    st.builds(_encode, reading_document, st.booleans()),
    st.builds(_encode, st.lists(reading_document, max_size=4), st.booleans()),
    st.builds(
        lambda raw, tail: raw + tail,
        st.builds(_encode, reading_document, st.booleans()),
        st.binary(max_size=3),
    ),
)


def _verdict(parse, raw: bytes, ranges: payloads.Ranges) -> object:
    try:
        return parse(raw, UID, NOW, ranges)
    except payloads.Rejected as refused:
        return refused.reason


@settings(max_examples=500, deadline=None)
@given(raw=telemetry_payloads, device_type=st.sampled_from(["multi", "host", "meter"]))
def test_the_fast_telemetry_path_gives_the_verdict_of_the_reason_naming_one(raw: bytes, device_type: str):
    ranges = payloads.type_ranges(device_type)
    assert _verdict(payloads.parse_telemetry, raw, ranges) == _verdict(
        payloads.parse_telemetry_slowly, raw, ranges
    )


@pytest.fixture
async def device(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    return await pair_device(sessionmaker, device_type="multi", uid=new_uid())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=raw_payloads)
async def test_any_payload_is_refused_with_a_reason_or_stored_without_error(
    raw: bytes,
    device: int,
    telemetry_connection: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
):
    rows: list[telemetry_store.Row] = []
    presence: list[telemetry_store.Presence] = []
    try:
        for reading in payloads.parse_telemetry(raw, UID, NOW).readings:
            rows.append((device, reading.ts, *reading.values))
            presence.append(_presence(device, reading.firmware_version, reading.ip))
    except payloads.Rejected as refused:
        assert refused.reason
    for parse in (payloads.parse_status, payloads.parse_provision_request):
        try:
            parsed = parse(raw, UID)
        except payloads.Rejected as refused:
            assert refused.reason
        else:
            presence.append(_presence(device, parsed.firmware_version, getattr(parsed, "ip", None)))
    await telemetry_store.write_batch(telemetry_connection, rows, presence, telemetry_store.PartitionCache())

    try:
        event = payloads.parse_event(raw, UID)
    except payloads.Rejected as refused:
        assert refused.reason
    else:
        async with sessionmaker() as session:
            await _record_one(session, ReceivedEvent(device, UID, event), datetime.now(UTC))
            await session.commit()


def _presence(device: int, firmware: str | None, ip: str | None) -> telemetry_store.Presence:
    return telemetry_store.Presence(device, time.time(), True, firmware, ip)
