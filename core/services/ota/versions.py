"""Semantic versions of firmware ("2.0.1", "2.1.0-rc.1"): parsed and ordered as semver.org says."""

from __future__ import annotations

import re
from functools import total_ordering

_SEMVER = re.compile(
    r"(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
MAX_LENGTH = 20  # firmware.version is varchar(20)


class NotAVersion(ValueError):
    """The text is not a semantic version MAJOR.MINOR.PATCH[-pre] of at most MAX_LENGTH characters."""


@total_ordering
class Version:
    __slots__ = ("core", "pre", "text")

    def __init__(self, text: str) -> None:
        match = _SEMVER.fullmatch(text.strip()) if len(text.strip()) <= MAX_LENGTH else None
        if match is None:
            raise NotAVersion(text)
        self.text = text.strip()
        self.core = (int(match[1]), int(match[2]), int(match[3]))
        self.pre: tuple[tuple[int, int | str], ...] = tuple(
            (0, int(part)) if part.isdigit() else (1, part) for part in (match[4] or "").split(".") if part
        )

    def _key(self) -> tuple[tuple[int, int, int], int, tuple[tuple[int, int | str], ...]]:
        # A release ranks above its pre-releases; numeric identifiers rank below alphanumeric ones.
        return self.core, 0 if self.pre else 1, self.pre

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return self.text


def is_newer(candidate: str, than: str | None) -> bool:
    """True when `candidate` ranks above `than` (anything is newer than nothing or than an unparsable
    version a device reported). Raises NotAVersion for a bad candidate."""
    new = Version(candidate)
    if than is None:
        return True
    try:
        return new > Version(than)
    except NotAVersion:
        return True
