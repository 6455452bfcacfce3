"""How an operator's search words match: a number may be a Telegram id, anything may be part of a name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Row, Select, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

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


async def page_of(
    session: AsyncSession,
    listing: Select[Any],
    matching: Callable[[str], ColumnElement[bool]],
    query: str | None,
    page: int,
    *,
    item: Callable[[Row[Any]], T],
) -> Page[T]:
    """Page `page` (clamped) of `listing`'s rows that match the query (all without one), newest first.

    `listing` selects from one table first (the one counted and ordered by its id); `item` turns a row into
    what the page holds.
    """
    table = listing.columns_clause_froms[0]
    words = clean_query(query)
    where = matching(words) if words else true()
    total = int(await session.scalar(select(func.count()).select_from(table).where(where)) or 0)
    number, pages = clamp_page(page, total)
    ordered = listing.where(where).order_by(table.c.id.desc()).offset(number * PAGE_SIZE).limit(PAGE_SIZE)
    rows = await session.execute(ordered)
    return Page(tuple(item(row) for row in rows), number, pages, total)
