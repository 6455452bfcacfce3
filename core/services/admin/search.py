"""How an operator's search words match: a number may be a Telegram id, anything may be part of a name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

PAGE_SIZE = 8
# The query rides in callback data (64 bytes in all, ":" separates fields): cut to this many UTF-8 bytes.
QUERY_MAX_BYTES = 32


def like_pattern(query: str) -> str:
    """`query` as an ILIKE "contains" pattern, its own % and _ taken literally."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def as_number(query: str) -> int | None:
    """The query as a Telegram id, if it is one."""
    digits = query.strip()
    if digits.isdigit() and len(digits) <= 18:
        return int(digits)
    return None


def clean_query(query: str | None) -> str:
    """The search words as kept: no leading @, no ":", at most QUERY_MAX_BYTES bytes of whole characters."""
    words = (query or "").replace(":", " ").strip().lstrip("@").strip()
    return words.encode()[:QUERY_MAX_BYTES].decode(errors="ignore").strip()


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    number: int
    pages: int
    total: int


def clamp_page(number: int, total: int) -> tuple[int, int]:
    """(page number within range, page count); a page from stale callback data lands on the last one."""
    pages = max(1, -(-total // PAGE_SIZE))
    return min(max(number, 0), pages - 1), pages
