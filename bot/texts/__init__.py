"""The bot's words: Fluent catalogues, one .ftl file per feature per locale under texts/locales/."""

from __future__ import annotations

from pathlib import Path

from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import ast, parse

LOCALES_DIR = Path(__file__).parent / "locales"
FALLBACK = "en"

FluentArg = str | int | float


class MissingText(KeyError):
    """A key the catalogue does not have: a programming error, caught by the catalogue tests."""


class Translator:
    """Texts of one language: `t("devices-title")`, `t("seen-minutes", minutes=3)`."""

    def __init__(self, language: str, bundle: FluentBundle) -> None:
        self.language = language
        self._bundle = bundle

    def __call__(self, key: str, **args: FluentArg) -> str:
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
