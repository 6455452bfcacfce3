"""A broadcast as its recipients read it, and its progress and report as the operator reads them."""

from __future__ import annotations

from bot.texts import Translator
from bot.views.moments import duration_text
from bot.views.notices import Rendered
from core.services.broadcast import CANCELLED, TYPE_PREFIX, UNPAID, Content, Progress


def broadcast_message(content: Content) -> Rendered:
    """Exactly what every recipient gets, and what the operator's preview shows: the operator's own words,
    untouched (no greeting, no language of ours)."""
    return Rendered(content.text, photo=content.photo)


def progress_text(t: Translator, progress: Progress) -> str:
    """The live line while sending, the report once it ended."""
    counts = {
        "id": str(progress.id),
        "total": progress.total,
        "sent": progress.sent,
        "failed": progress.failed,
        "left": progress.left,
        "cancelled": progress.cancelled,
    }
    if progress.status == "done":
        return t("broadcast-report", **counts)
    if progress.status == CANCELLED:
        return t("broadcast-report-cancelled", **counts)
    eta = progress.eta_seconds
    eta_text = duration_text(t, eta) if eta is not None else t("broadcast-eta-unknown")
    return t("broadcast-progress", eta=eta_text, **counts)


def audience_text(t: Translator, audience: str) -> str:
    if audience.startswith(TYPE_PREFIX):
        return t("broadcast-audience-type", type=audience.removeprefix(TYPE_PREFIX))
    return t("broadcast-audience-unpaid") if audience == UNPAID else t("broadcast-audience-all")
