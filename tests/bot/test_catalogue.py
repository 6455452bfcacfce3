"""The Russian and English catalogues say the same things, and every text the bot asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.handlers.errors import REFUSAL_PREFIXES
from bot.texts import LOCALES_DIR, Catalogue, parse_locale
from core import catalogue
from core.services.access import Role

BOT = Path(__file__).resolve().parents[2] / "bot"
LANGUAGES = ("en", "ru")


def _literal_keys() -> set[str]:
    """Every dashed lowercase string literal in bot/: the code's only such strings are catalogue keys."""
    pattern = re.compile(r'(?<![fA-Za-z])"([a-z0-9]+(?:-[a-z0-9]+)+)"')
    keys: set[str] = set()
    for path in BOT.rglob("*.py"):
        keys |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return keys - {prefix for _, prefix in REFUSAL_PREFIXES} - {"utf-8"}


def _reasons(base: type[Exception]) -> set[str]:
    found, todo = set(), [base]
    while todo:
        kind = todo.pop()
        todo.extend(kind.__subclasses__())
        if kind is not base or not kind.__subclasses__():
            found.add(str(kind.reason))  # type: ignore[attr-defined]
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_parses_cleanly(language: str) -> None:
    ids, errors = parse_locale(LOCALES_DIR / language)
    assert errors == []
    assert len(ids) > 50


def test_both_languages_have_the_same_keys() -> None:
    english, _ = parse_locale(LOCALES_DIR / "en")
    russian, _ = parse_locale(LOCALES_DIR / "ru")
    assert english - russian == set()
    assert russian - english == set()


def test_every_key_the_code_names_exists() -> None:
    english, _ = parse_locale(LOCALES_DIR / "en")
    assert _literal_keys() - english == set()


def test_every_refusal_and_role_has_a_text() -> None:
    english, _ = parse_locale(LOCALES_DIR / "en")
    wanted = {f"role-{role}" for role in Role}
    for kind, prefix in REFUSAL_PREFIXES:
        wanted |= {f"{prefix}-{reason}" for reason in _reasons(kind)}
    assert wanted - english == set()


def test_texts_render_with_their_arguments() -> None:
    catalogue = Catalogue()
    assert catalogue["ru"]("seen-minutes", minutes=3) == "на связи 3 минуты назад"
    assert catalogue["ru"]("seen-minutes", minutes=5) == "на связи 5 минут назад"
    assert catalogue["en"]("reading-temperature", value=25.14) == "🌡 25.1 °C"
    assert catalogue["ru"]("reading-temperature", value=25.14) == "🌡 25,1 °C"
    assert catalogue["xx"]("role-owner") == "owner"  # unknown languages fall back to English


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_history_button_a_device_type_declares_has_a_text(language: str) -> None:
    """Adding a type to core.catalogue needs no bot edit: its /history buttons are named already."""
    ids, _ = parse_locale(LOCALES_DIR / language)
    wanted = {
        f"history-metric-{metric}" for spec in catalogue.TYPES.values() for metric in spec.history_buttons
    }
    assert wanted - ids == set()
