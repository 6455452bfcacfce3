"""An operator's notice of an unexpected error (core.services.error_reports): one per kind per 10 min."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.texts import Translator
from bot.views.moments import local_moment, parse_moment
from bot.views.notices import Rendered


def error_notice(t: Translator, payload: dict[str, Any], timezone: str, now: datetime) -> Rendered:
    at = parse_moment(payload.get("at")) or now
    lines = [
        t(
            "error-report",
            program=str(payload.get("program", "?")),
            kind=str(payload.get("kind", "?")),
            at=local_moment(at, timezone, now),
        ),
        str(payload.get("message", "")),
    ]
    repeats = payload.get("repeats")
    if isinstance(repeats, int) and repeats > 0:
        lines.append(t("error-report-repeats", count=repeats))
    return Rendered("\n".join(lines))
