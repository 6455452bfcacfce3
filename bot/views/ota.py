"""OTA messages: the operator's notice of a halted rollout."""

from __future__ import annotations

from typing import Any

from bot.texts import Translator
from bot.views.notices import Rendered


def halted_notice(t: Translator, payload: dict[str, Any]) -> Rendered:
    return Rendered(
        t(
            "ota-halted",
            rollout=int(payload.get("rollout_id", 0)),
            type=str(payload.get("device_type", "?")),
            version=str(payload.get("version", "?")),
            failures=int(payload.get("failures", 0)),
            threshold=int(payload.get("threshold", 0)),
        )
    )
