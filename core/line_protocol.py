"""InfluxDB line protocol, as Telegraf's `outputs.http` sends it with `data_format = "influx"`.

`measurement[,tag=value…] field=value[,field=value…] [timestamp]`, one point a line. Backslash escapes
commas, spaces and equals signs in names and tag values; string field values are double-quoted (with `\\"`
and `\\\\` inside); numbers are floats, `…i` integers or `…u` unsigned; booleans are t/true/f/false in any of
the documented spellings. Blank lines and `#` comments are skipped. A bad line is reported by number and
reason; the others still parse.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

FieldValue = float | int | str | bool
T = TypeVar("T")

# Nanoseconds: Telegraf's default precision. Kept within int64 as the protocol says.
_TIMESTAMP = re.compile(r"-?[0-9]{1,19}")
_INTEGER = re.compile(r"-?[0-9]+[iu]")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_TRUE = frozenset({"t", "T", "true", "True", "TRUE"})
_FALSE = frozenset({"f", "F", "false", "False", "FALSE"})
MAX_LINE = 64 * 1024


@dataclass(frozen=True, slots=True)
class Point:
    measurement: str
    tags: dict[str, str]
    fields: dict[str, FieldValue]
    ts_ns: int | None


@dataclass(frozen=True, slots=True)
class BadLine:
    number: int  # 1-based, as an editor shows it
    reason: str


class _Malformed(ValueError):
    pass


def parse(text: str) -> tuple[list[tuple[int, Point]], list[BadLine]]:
    """Every good point with its line number, and every bad line with its reason."""
    points: list[tuple[int, Point]] = []
    bad: list[BadLine] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            points.append((number, parse_line(line)))
        except _Malformed as error:
            bad.append(BadLine(number, str(error)))
    return points, bad


def parse_line(line: str) -> Point:
    """One point; raises ValueError (with a short reason) on anything the protocol does not allow."""
    if len(line) > MAX_LINE:
        raise _Malformed("line too long")
    sections = _split(line, " ", quotes=True)
    if len(sections) not in {2, 3}:
        raise _Malformed("expected 'measurement[,tags] fields [timestamp]'")
    key, fields_text = sections[0], sections[1]
    parts = _split(key, ",", quotes=False)
    measurement = _unescape(parts[0])
    if not measurement:
        raise _Malformed("missing measurement")
    tags = dict(_pair(part, _unescape) for part in parts[1:])
    fields = dict(_pair(part, _field_value) for part in _split(fields_text, ",", quotes=True))
    ts_ns = None
    if len(sections) == 3:
        if not _TIMESTAMP.fullmatch(sections[2]):
            raise _Malformed("bad timestamp")
        ts_ns = int(sections[2])
    return Point(measurement, tags, fields, ts_ns)


def _split(text: str, separator: str, *, quotes: bool) -> list[str]:
    """Split on unescaped `separator` outside double quotes (only field values are quoted)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if quotes and char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            index += 1
            continue
        current.append(char)
        index += 1
    if quoted:
        raise _Malformed("unterminated string")
    parts.append("".join(current))
    if any(not part for part in parts):
        raise _Malformed(f"empty element around {separator!r}")
    return parts


def _pair(part: str, value_of: Callable[[str], T]) -> tuple[str, T]:
    pieces = _split(part, "=", quotes=True) if "=" in part else [part]
    if len(pieces) != 2:
        raise _Malformed(f"expected key=value, got {part[:40]!r}")
    return _unescape(pieces[0]), value_of(pieces[1])


def _unescape(raw: str) -> str:
    return re.sub(r"\\([,= \\\"])", r"\1", raw)


def _field_value(raw: str) -> FieldValue:
    if raw.startswith('"'):
        if len(raw) < 2 or not raw.endswith('"'):
            raise _Malformed("bad string value")
        return raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if _INTEGER.fullmatch(raw):
        return int(raw[:-1])
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    if _FLOAT.fullmatch(raw):
        value = float(raw)
        if not math.isfinite(value):
            raise _Malformed("non-finite number")
        return value
    raise _Malformed(f"bad field value {raw[:40]!r}")
