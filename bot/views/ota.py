"""OTA messages: a type's firmware, the upload's summary, a rollout's draft, /rollouts, the operator's
notices of a halt and of a stage widened by itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.texts import Translator
from bot.views.moments import local_moment
from bot.views.notices import Rendered
from core.services.ota.firmware import FirmwareInfo
from core.services.ota.rollouts import RolloutDraft, RolloutSummary
from core.services.ota.rules import RolloutState, Scope

# The largest unit a soak time is a whole number of, in seconds: "1 d", "6 h", "90 min", "45 s".
_SOAK_UNITS = (("days", 86400), ("hours", 3600), ("minutes", 60), ("seconds", 1))


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


def widened_notice(t: Translator, payload: dict[str, Any]) -> Rendered:
    return Rendered(
        t(
            "ota-widened",
            rollout=int(payload.get("rollout_id", 0)),
            type=str(payload.get("device_type", "?")),
            version=str(payload.get("version", "?")),
            stage=int(payload.get("stage", 0)),
            added=int(payload.get("added", 0)),
            soak=soak_text(t, int(payload.get("soak_seconds") or 0)),
        )
    )


def soak_text(t: Translator, seconds: int) -> str:
    for unit, size in _SOAK_UNITS:
        if seconds >= size and seconds % size == 0:
            return t(f"ota-soak-{unit}", count=seconds // size)
    return t("ota-soak-seconds", count=seconds)


def draft_text(t: Translator, draft: RolloutDraft, info: FirmwareInfo, fleet: int) -> str:
    threshold = t("ota-draft-threshold", threshold=draft.failure_threshold)
    if draft.scope is not Scope.CANARY:
        head = t("ota-draft-all", type=info.device_type, version=info.version, fleet=fleet)
        return "\n".join((head, threshold))
    soak = (
        t("ota-draft-soak", soak=soak_text(t, int(draft.soak.total_seconds())))
        if draft.soak is not None
        else t("ota-draft-by-hand")
    )
    head = t("ota-draft-canary", type=info.device_type, version=info.version, fleet=fleet)
    stages = t("ota-draft-stages", stages=" → ".join(f"{stage} %" for stage in draft.stages))
    return "\n".join((head, stages, threshold, soak, t("ota-draft-type-soak")))


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


def rollout_list(t: Translator, items: Sequence[RolloutSummary], timezone: str, now: datetime) -> str:
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
        if item.state is RolloutState.RUNNING and not item.last_stage:
            lines.append(_next_stage(t, item, timezone, now))
    return "\n".join(lines)


def _next_stage(t: Translator, item: RolloutSummary, timezone: str, now: datetime) -> str:
    """How the running rollout gets to its next stage: by itself at a moment, after a soak once this stage
    ends, or by the operator's ⏩."""
    following = f"{item.stages[item.stage + 1]} %"
    if item.soak is None:
        return t("ota-rollout-next-by-hand", stage=following)
    if item.widens_at is None:
        return t(
            "ota-rollout-next-after-soak", stage=following, soak=soak_text(t, int(item.soak.total_seconds()))
        )
    return t(
        "ota-rollout-next-at", stage=following, moment=local_moment(max(item.widens_at, now), timezone, now)
    )
