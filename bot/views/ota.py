"""OTA messages: a type's firmware, the upload's summary, /rollouts, the operator's notice of a halt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.texts import Translator
from bot.views.notices import Rendered
from core.services.ota.firmware import FirmwareInfo
from core.services.ota.rollouts import RolloutSummary


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


def firmware_list(t: Translator, device_type: str, items: Sequence[FirmwareInfo]) -> str:
    if not items:
        return t("ota-firmware-none", type=device_type)
    lines = [t("ota-firmware-list", type=device_type)]
    lines += [
        t(
            "ota-firmware-item",
            version=info.version,
            state=t(f"ota-state-{info.state}"),
            size=round(info.size / 1024),
            checksum=info.checksum[:12],
        )
        for info in items
    ]
    return "\n".join(lines)


def rollout_list(t: Translator, items: Sequence[RolloutSummary]) -> str:
    if not items:
        return t("ota-rollouts-none")
    lines = [t("ota-rollouts-title")]
    for item in items:
        counts = item.counts
        lines.append(
            t(
                "ota-rollout-item",
                rollout=item.id,
                type=item.device_type,
                version=item.version,
                state=t(f"ota-rollout-{item.state}"),
                stage=f"{item.stages[item.stage]} %",
                total=counts.total,
                succeeded=counts.succeeded,
                failed=counts.failures,
                working=counts.in_progress,
            )
        )
    return "\n".join(lines)
