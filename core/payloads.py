"""Device → server payloads (SPEC section 3): parsing and validation, the one place that decides what is good.

Telemetry is the hot path (tens of thousands of readings a second), so readings are checked with plain dict
look-ups rather than a model: measured about 5 µs per one-reading message, against 8-10 µs for an equivalent
pydantic model on the same machine.
A rejected payload or reading carries a short `reason`, the key of the processor's drop counters.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, NamedTuple

import msgspec
import orjson

from core import catalogue
from core.services.ota.rules import REPORTED

MAX_PAYLOAD_BYTES = 64 * 1024
# A clock running fast by more than this is a broken clock, not a reading from the future.
MAX_FUTURE_SECONDS = 5 * 60
# Older readings would each create a partition far in the past; no backlog buffer on a device is that deep.
MAX_AGE_SECONDS = 30 * 24 * 3600

# Plausible ranges (inclusive) of the catalogue (SPEC 3 and 3a); the order is the column order of `telemetry`.
METRIC_RANGES: dict[str, tuple[float, float]] = {m.name: (m.low, m.high) for m in catalogue.METRICS.values()}
_WIDTH = len(METRIC_RANGES)


class Ranges:
    """The plausible range of every metric (in METRIC_RANGES order) that readings are held to.

    Iterates as (name, low, high). Also holds the compiled decoder of the fast path (see `parse_telemetry`),
    built on first use: one per device type, so validating against a type's ranges costs nothing extra.
    """

    __slots__ = ("_decoder", "_items")

    def __init__(self, items: Iterable[tuple[str, float, float]]) -> None:
        self._items = tuple(items)
        self._decoder: msgspec.json.Decoder[Any] | None = None

    def __iter__(self) -> Iterator[tuple[str, float, float]]:
        return iter(self._items)

    def decoder(self) -> msgspec.json.Decoder[Any]:
        if self._decoder is None:
            self._decoder = _fast_decoder(self._items)
        return self._decoder


_RANGES = Ranges((name, low, high) for name, (low, high) in METRIC_RANGES.items())


@functools.cache
def type_ranges(device_type: str) -> Ranges:
    """The ranges readings of `device_type` are held to: the metric's own, or the type's where the catalogue
    says it differs. Same order as METRIC_RANGES."""
    return Ranges((name, *catalogue.metric_range(device_type, name)) for name in METRIC_RANGES)


# Matched with fullmatch (never match with ^…$: `$` also matches before a trailing newline) and sized to the
# columns they are stored in: devices.firmware_version varchar(32), last_ip varchar(64), device_type (32).
_FIRMWARE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,31}")
_IP = re.compile(r"[0-9A-Fa-f:.]{2,64}")
_DEVICE_TYPE = re.compile(r"[a-z0-9_-]{1,32}")
_STATUSES = frozenset({"online", "offline"})
# A device secret (SPEC section 3, broker security): the device's password on the broker.
SECRET = re.compile(r"[A-Za-z0-9_-]{22,128}")
# Command ids are uuid4 strings (device_commands.id varchar(36)); config versions fit an `integer` column.
_COMMAND_ID = re.compile(r"[A-Za-z0-9-]{1,36}")
MAX_CONFIG_VERSION = 2**31 - 1
# Event details are stored as JSONB: bounded in depth so walking them stays cheap.
_MAX_EVENT_DEPTH = 16

CONFIG_APPLIED = "config_applied"
COMMAND_RESULT = "command_result"
OTA = "ota"
# An ota event's id is the rollout's id (core.services.ota.delivery), its state one the device reports.
_ROLLOUT_ID = re.compile(r"[0-9]{1,9}")
_OTA_STATES = frozenset(state.value for state in REPORTED)

# Drop reasons: the names of the per-reason counters.
OVERSIZE = "oversize"
MALFORMED_JSON = "malformed_json"
NOT_AN_OBJECT = "not_an_object"
WRONG_TYPE = "wrong_type"
NON_FINITE = "non_finite"
OUT_OF_RANGE = "out_of_range"
NO_METRICS = "no_metrics"
FUTURE_TIMESTAMP = "future_timestamp"
TOO_OLD = "too_old"
UID_MISMATCH = "uid_mismatch"
# Valid JSON that PostgreSQL cannot store: a NUL character, a number beyond the column, nesting too deep.
UNSTORABLE = "unstorable"


class Rejected(Exception):
    """The whole payload is unusable; `reason` names why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Reading(NamedTuple):
    """One valid telemetry reading; `ts` is unix seconds; `values` follow catalogue.METRIC_NAMES, a metric
    absent from the payload is None.

    A NamedTuple rather than a frozen dataclass: as immutable, and four times cheaper to build.
    """

    ts: float
    values: tuple[float | None, ...]
    firmware_version: str | None
    ip: str | None

    def value(self, metric: str) -> float | None:
        return self.values[_INDEX[metric]]

    def metrics(self) -> dict[str, float]:
        """The metrics this reading carries."""
        return {
            name: value
            for name, value in zip(catalogue.METRIC_NAMES, self.values, strict=True)
            if value is not None
        }


# A Reading from its fields as one tuple, without the Python-level __new__ a NamedTuple call runs: the fast
# path makes one per message (as processor.mqtt.received).
_new_reading = functools.partial(tuple.__new__, Reading)


_INDEX = {name: index for index, name in enumerate(catalogue.METRIC_NAMES)}


def reading(
    ts: float, metrics: dict[str, float], firmware_version: str | None = None, ip: str | None = None
) -> Reading:
    """A Reading from already valid metrics (unknown names are a bug of the caller: KeyError)."""
    values: list[float | None] = [None] * len(_INDEX)
    for name, value in metrics.items():
        values[_INDEX[name]] = value
    return Reading(ts, tuple(values), firmware_version, ip)


class TelemetryBatch(NamedTuple):
    """What one telemetry message held: the good readings, and a reason for each bad one."""

    readings: list[Reading]
    rejected: list[str]


@dataclass(frozen=True, slots=True)
class Status:
    online: bool
    firmware_version: str | None
    ip: str | None


@dataclass(frozen=True, slots=True)
class ProvisionRequest:
    device_type: str | None
    firmware_version: str | None
    # None from devices older than broker authentication: they get no broker account (and cannot log in).
    secret: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """A device event. `config_applied`, `command_result` and `ota` are checked here in full (they are
    stored);
    other types only for being storable as JSON."""

    type: str
    body: dict[str, Any]


def parse_telemetry(payload: bytes, uid: str, now: float, ranges: Ranges = _RANGES) -> TelemetryBatch:
    """Readings of one telemetry message: a single object, or an array of them (a backlog).

    Raises Rejected when nothing in the payload can be used as a whole (size, JSON, shape); otherwise bad
    readings are listed by reason in `rejected` and the good ones are kept.

    Two paths, one verdict. The fast one (msgspec, compiled from `ranges`) only ever accepts: a payload of
    known keys only, every reading fully valid. Anything it does not accept whole goes through the slow path
    below, the one that names reasons, so what is dropped and why is decided in one place.
    """
    if len(payload) <= MAX_PAYLOAD_BYTES:
        try:
            decoded = ranges.decoder().decode(payload)
        except msgspec.MsgspecError:
            pass
        else:
            if decoded.__class__ is list:
                readings = _accepted(decoded, uid, now)
                if readings is not None:
                    return TelemetryBatch(readings, [])
            else:  # the usual message: one reading, no list to build and search
                reading = _accepted_one(decoded, uid, now)
                if reading is not None:
                    return TelemetryBatch([reading], [])
    return parse_telemetry_slowly(payload, uid, now, ranges)


def accepted_reading(payload: bytes, uid: str, now: float, ranges: Ranges = _RANGES) -> Reading | None:
    """The reading of the usual telemetry message (one object, every field valid), by the fast path alone;
    None for anything else, which `parse_telemetry` then decides on (arrays, drops and their reasons).

    Ingest's hot path: no list, no TelemetryBatch for the message that needs neither.
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        return None
    try:
        decoded = ranges.decoder().decode(payload)
    except msgspec.MsgspecError:
        return None
    return None if decoded.__class__ is list else _accepted_one(decoded, uid, now)


def parse_telemetry_slowly(payload: bytes, uid: str, now: float, ranges: Ranges = _RANGES) -> TelemetryBatch:
    """What `parse_telemetry` returns, always through the reason-naming path (also the reference its fast
    path is tested against)."""
    document = _load(payload)
    items = document if isinstance(document, list) else [document]
    if not items:
        raise Rejected(NO_METRICS)
    readings: list[Reading] = []
    rejected: list[str] = []
    for item in items:
        try:
            readings.append(_reading(item, uid, now, ranges))
        except Rejected as bad:
            rejected.append(bad.reason)
    return TelemetryBatch(readings, rejected)


def parse_status(payload: bytes, uid: str) -> Status:
    """A status message, including the retained Last Will `{"status": "offline"}`."""
    document = _object(_load_finite(payload))
    _check_uid(document, uid)
    status = document.get("status")
    if status.__class__ is not str or status not in _STATUSES:
        raise Rejected(WRONG_TYPE)
    return Status(
        online=status == "online",
        firmware_version=_optional_text(document, "firmware_version", _FIRMWARE),
        ip=_optional_text(document, "ip", _IP),
    )


def parse_provision_request(payload: bytes, uid: str) -> ProvisionRequest:
    document = _object(_load_finite(payload))
    _check_uid(document, uid)
    return ProvisionRequest(
        device_type=_optional_text(document, "device_type", _DEVICE_TYPE),
        firmware_version=_optional_text(document, "firmware_version", _FIRMWARE),
        secret=_optional_text(document, "secret", SECRET),
    )


def parse_event(payload: bytes, uid: str) -> Event:
    document = _object(_load_finite(payload))
    _check_uid(document, uid)
    kind = document.get("type")
    if kind.__class__ is not str or not kind:
        raise Rejected(WRONG_TYPE)
    if kind == CONFIG_APPLIED:
        version = document.get("version")
        if version.__class__ is not int:
            raise Rejected(WRONG_TYPE)
        if not 0 < version <= MAX_CONFIG_VERSION:
            raise Rejected(OUT_OF_RANGE)
    elif kind == COMMAND_RESULT:
        if document.get("ok").__class__ is not bool:
            raise Rejected(WRONG_TYPE)
        _text(document.get("id"), _COMMAND_ID)
    elif kind == OTA:
        _text(document.get("id"), _ROLLOUT_ID)
        state, error = document.get("state"), document.get("error")
        if state.__class__ is not str or state not in _OTA_STATES:
            raise Rejected(WRONG_TYPE)
        if error is not None and error.__class__ is not str:
            raise Rejected(WRONG_TYPE)
    _check_storable(document, 0)
    return Event(type=kind, body=document)


# ---- internals ---------------------------------------------------------------------------------------------


# The fast path's reading: every metric (column order, so its values are a Reading's), then the other keys
# of SPEC 3. Unknown keys are refused rather than skipped: msgspec skips them without checking what orjson
# would refuse (1e999, a lone surrogate), and the slow path must see those.
_FAST_TAIL = ("timestamp", "device_uid", "firmware_version", "ip", "uptime")
_TIMESTAMP, _CLAIMED, _FIRMWARE_AT, _IP_AT = _WIDTH, _WIDTH + 1, _WIDTH + 2, _WIDTH + 3
# Texts already found to match _FIRMWARE / _IP: devices repeat theirs in every reading.
_VALID_FIRMWARE: set[str] = set()
_VALID_IP: set[str] = set()
_MAX_VALID_TEXTS = 100_000


def _fast_decoder(items: tuple[tuple[str, float, float], ...]) -> msgspec.json.Decoder[Any]:
    # float fields refuse bool, str, NaN and numbers beyond a double (their out-of-range error), and take an
    # int as its float, as _number does.
    fields: list[tuple[str, Any, None]] = [
        (name, Annotated[float, msgspec.Meta(ge=low, le=high)] | None, None) for name, low, high in items
    ]
    fields += [
        ("timestamp", float | None, None),
        ("device_uid", str | None, None),
        ("firmware_version", str | None, None),
        ("ip", str | None, None),
        ("uptime", float | None, None),
    ]
    shape = msgspec.defstruct("FastReading", fields, forbid_unknown_fields=True, array_like=False, gc=False)
    return msgspec.json.Decoder(shape | list[shape])  # type: ignore[valid-type]


def _accepted(decoded: list[Any], uid: str, now: float) -> list[Reading] | None:
    """The readings, if every one is valid; None (let the slow path name the reasons) otherwise."""
    readings = [_accepted_one(item, uid, now) for item in decoded]
    if not readings or None in readings:
        return None
    return readings  # type: ignore[return-value]  # no None in it


def _accepted_one(item: Any, uid: str, now: float) -> Reading | None:
    fields = msgspec.structs.astuple(item)
    values = fields[:_WIDTH]
    ts = fields[_TIMESTAMP]
    if ts is None:
        ts = now
    claimed, firmware, ip = fields[_CLAIMED], fields[_FIRMWARE_AT], fields[_IP_AT]
    valid = (
        values.count(None) < _WIDTH
        and now - MAX_AGE_SECONDS <= ts <= now + MAX_FUTURE_SECONDS
        and (claimed is None or claimed == uid)
        and (
            firmware is None
            or firmware in _VALID_FIRMWARE
            or _valid_text(firmware, _FIRMWARE, _VALID_FIRMWARE)
        )
        and (ip is None or ip in _VALID_IP or _valid_text(ip, _IP, _VALID_IP))
    )
    return _new_reading((ts, values, firmware, ip)) if valid else None


def _valid_text(text: str, shape: re.Pattern[str], known: set[str]) -> bool:
    if not shape.fullmatch(text):
        return False
    if len(known) >= _MAX_VALID_TEXTS:
        known.clear()  # made-up texts must not grow memory
    known.add(text)
    return True


def _load(payload: bytes) -> Any:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise Rejected(OVERSIZE)
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return _load_non_finite(payload)


def _load_finite(payload: bytes) -> Any:
    """For documents stored or used whole (status, events, provisioning): NaN/Infinity anywhere rejects it."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise Rejected(OVERSIZE)
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        _load_non_finite(payload)  # raises MALFORMED_JSON unless a non-finite number was the only trouble
        raise Rejected(NON_FINITE) from None


def _check_storable(value: Any, depth: int) -> None:
    """JSONB refuses the NUL character; orjson (what parsed `value`) already refused lone surrogates and
    integers beyond 64 bits."""
    if depth > _MAX_EVENT_DEPTH:
        raise Rejected(UNSTORABLE)
    cls = value.__class__
    if cls is str:
        if "\x00" in value:
            raise Rejected(UNSTORABLE)
    elif cls is dict:
        for key, item in value.items():
            _check_storable(key, depth)
            _check_storable(item, depth + 1)
    elif cls is list:
        for item in value:
            _check_storable(item, depth + 1)


def _load_non_finite(payload: bytes) -> Any:
    """Second chance for what orjson refuses: NaN/Infinity get their own reason, not "malformed".

    The standard library accepts NaN, Infinity and 1e999; anything else it also accepts but orjson did not
    (lone surrogates) is still malformed, so the result is used only if a non-finite number was really seen.
    """
    seen: list[float] = []

    def remember(value: str) -> float:
        number = float(value)
        if not math.isfinite(number):
            seen.append(number)
        return number

    try:
        document = json.loads(payload, parse_constant=remember, parse_float=remember)
    except (ValueError, RecursionError):
        raise Rejected(MALFORMED_JSON) from None
    if not seen:
        raise Rejected(MALFORMED_JSON)
    return document


def _object(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise Rejected(NOT_AN_OBJECT)
    return document


def _check_uid(document: dict[str, Any], uid: str) -> None:
    claimed = document.get("device_uid")
    if claimed is not None and claimed != uid:
        raise Rejected(UID_MISMATCH)


def _reading(item: Any, uid: str, now: float, ranges: Ranges) -> Reading:
    # The slow path's reading (see parse_telemetry): checks in a fixed order, the first failing one names it.
    if item.__class__ is not dict:
        raise Rejected(NOT_AN_OBJECT)
    get = item.get
    claimed = get("device_uid")
    if claimed is not None and claimed != uid:
        raise Rejected(UID_MISMATCH)
    ts = _timestamp(get("timestamp"), now)
    values: list[float | None] = []
    present = False
    for name, low, high in ranges:
        value = get(name)
        # null is "this sensor has nothing now", the same as leaving the key out.
        if value is not None:
            value = _number(value)
            if not low <= value <= high:
                raise Rejected(OUT_OF_RANGE)
            present = True
        values.append(value)
    if not present:
        raise Rejected(NO_METRICS)
    uptime = get("uptime")
    if uptime is not None:
        _number(uptime)
    firmware = get("firmware_version")
    if firmware is not None:
        firmware = _text(firmware, _FIRMWARE)
    ip = get("ip")
    if ip is not None:
        ip = _text(ip, _IP)
    return Reading(ts, tuple(values), firmware, ip)


def _timestamp(value: Any, now: float) -> float:
    if value is None:
        return now
    ts = _number(value)
    if ts > now + MAX_FUTURE_SECONDS:
        raise Rejected(FUTURE_TIMESTAMP)
    if ts < now - MAX_AGE_SECONDS:
        raise Rejected(TOO_OLD)
    return ts


def _number(value: Any) -> float:
    # Exact class checks: bool is an int subclass in Python, but `true` is not a number in JSON.
    cls = value.__class__
    if cls is float:
        if value - value != 0.0:  # only NaN and ±Infinity fail this; cheaper than math.isfinite
            raise Rejected(NON_FINITE)
        return float(value)
    if cls is int:
        try:
            return float(value)
        except OverflowError:  # an integer beyond any double: certainly out of range
            raise Rejected(OUT_OF_RANGE) from None
    raise Rejected(WRONG_TYPE)


def _text(value: Any, shape: re.Pattern[str]) -> str:
    if value.__class__ is not str or not shape.fullmatch(value):
        raise Rejected(WRONG_TYPE)
    return str(value)


def _optional_text(document: dict[str, Any], key: str, shape: re.Pattern[str]) -> str | None:
    value = document.get(key)
    return None if value is None else _text(value, shape)
