"""Pages of a keyboard that grows with data: devices, members, a user's memberships, operators' lists.

Telegram refuses an inline keyboard of more than 100 buttons ("Bad Request: reply markup is too long";
sandbox.limits enforces it), so a list whose length users decide shows PAGE_SIZE entries at a time with « »
to move. Page numbers come from buttons, so they are clamped: a stale one lands on the last page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.texts import Translator

T = TypeVar("T")

# Entries a page: at most three buttons each (a member's actions) plus a few fixed ones stay far below 100.
PAGE_SIZE = 10


@dataclass(frozen=True, slots=True)
class Slice(Generic[T]):
    items: Sequence[T]
    number: int
    pages: int


def page_of(items: Sequence[T], number: int, size: int = PAGE_SIZE) -> Slice[T]:
    """Page `number` (clamped) of `items`, `size` a page."""
    pages = max(1, -(-len(items) // size))
    number = min(max(number, 0), pages - 1)
    return Slice(items[number * size : (number + 1) * size], number, pages)


def page_holding(ids: Sequence[int], wanted: int | None, size: int = PAGE_SIZE) -> int:
    """The page on which `wanted` stands among `ids` (the first page when it is not there)."""
    return ids.index(wanted) // size if wanted in ids else 0


def add_moves(
    keyboard: InlineKeyboardBuilder,
    t: Translator,
    number: int,
    pages: int,
    to_page: Callable[[int], CallbackData],
) -> list[int]:
    """« and » (as far as there are pages) appended to `keyboard`; the row they make, for `adjust()`."""
    moves = []
    if number > 0:
        moves.append((t("page-previous"), number - 1))
    if number + 1 < pages:
        moves.append((t("page-next"), number + 1))
    for text, target in moves:
        keyboard.button(text=text, callback_data=to_page(target))
    return [len(moves)] if moves else []


def column_page(
    t: Translator,
    buttons: Sequence[tuple[str, CallbackData]],
    number: int,
    to_page: Callable[[int], CallbackData],
    tail: Iterable[tuple[str, CallbackData]] = (),
) -> InlineKeyboardMarkup:
    """A page of (text, data) buttons, one a row (device pickers), then « », then `tail` one a row."""
    shown = page_of(buttons, number)
    keyboard = InlineKeyboardBuilder()
    for text, data in shown.items:
        keyboard.button(text=text, callback_data=data)
    rows = [1] * len(shown.items) + add_moves(keyboard, t, shown.number, shown.pages, to_page)
    for text, data in tail:
        keyboard.button(text=text, callback_data=data)
        rows.append(1)
    keyboard.adjust(*rows)
    return keyboard.as_markup()
