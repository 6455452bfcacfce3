"""The bot's words: Fluent catalogues, one .ftl file per feature per locale under texts/locales/."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import ast, parse

LOCALES_DIR = Path(__file__).parent / "locales"
FALLBACK = "en"

FluentArg = str | int | float
# Texts whose arguments are only numbers (a reading's value, minutes, a count), or none, are kept once
# formatted: Fluent's resolver and Babel's number patterns cost most of a /status text (20 devices: ~140
# calls), while the values a fleet shows are few and recur across updates and users.
NUMERIC_TEXTS = 8192
# (argument name, type, value): 1, 1.0 and True are equal keys, but Fluent may format them differently.
_NumericArgs = tuple[tuple[str, type, int | float], ...]


class MissingText(KeyError):
    """A key the catalogue does not have: a programming error, caught by the catalogue tests."""


class Translator:
    """Texts of one language: `t("devices-title")`, `t("seen-minutes", minutes=3)`."""

    def __init__(self, language: str, bundle: FluentBundle) -> None:
        self.language = language
        self._bundle = bundle
        self._numeric = lru_cache(maxsize=NUMERIC_TEXTS)(self._format_numeric)

    def __call__(self, key: str, **args: FluentArg) -> str:
        if all(isinstance(value, int | float) for value in args.values()):
            return self._numeric(key, tuple((name, type(value), value) for name, value in args.items()))
        return self._format(key, args)

    def _format_numeric(self, key: str, args: _NumericArgs) -> str:
        return self._format(key, {name: value for name, _, value in args})

    def _format(self, key: str, args: dict[str, FluentArg]) -> str:
        message = self._bundle.get_message(key) if self._bundle.has_message(key) else None
        # A message with attributes only has no value: as unusable here as a missing one.
        if message is None or message.value is None:
            raise MissingText(f"{self.language}:{key}")
        text, errors = self._bundle.format_pattern(message.value, args)
        if errors:
            raise MissingText(f"{self.language}:{key}: {errors[0]}")
        return str(text)


class Catalogue:
    """All languages, read once at start."""

    def __init__(self, directory: Path = LOCALES_DIR) -> None:
        self._translators = {
            folder.name: Translator(folder.name, _load_bundle(folder))
            for folder in sorted(directory.iterdir())
            if folder.is_dir()
        }

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._translators)

    def __getitem__(self, language: str) -> Translator:
        return self._translators.get(language) or self._translators[FALLBACK]


def _load_bundle(folder: Path) -> FluentBundle:
    # use_isolating=False: Unicode isolation marks would show up as garbage in some Telegram clients.
    bundle = FluentBundle([folder.name], use_isolating=False)
    for path in sorted(folder.glob("*.ftl")):
        bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
    return bundle


def parse_locale(folder: Path) -> tuple[set[str], list[str]]:
    """(message ids, syntax errors) of one locale's files: what the catalogue tests compare."""
    ids: set[str] = set()
    errors: list[str] = []
    for path in sorted(folder.glob("*.ftl")):
        for entry in parse(path.read_text(encoding="utf-8")).body:
            if isinstance(entry, ast.Message):
                ids.add(entry.id.name)
            elif isinstance(entry, ast.Junk):
                errors.append(f"{path.name}: {(entry.content or '').strip()[:80]}")
    return ids, errors
