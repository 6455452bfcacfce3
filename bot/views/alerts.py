"""/alerts: one page of the user's alert history, newest first, unread marked."""

from __future__ import annotations

from datetime import datetime

from bot.texts import Translator
from bot.views.moments import local_moment
from bot.views.notices import metric_name, metric_value, split_type
from core.services.alert_history import AlertPage
from core.services.presence import OFFLINE, ONLINE

UNREAD, READ = "🔵", "⚪"


def alert_what(t: Translator, alert_type: str, value: float | None, threshold: float | None) -> str:
    """A few words on what happened: "CO2 1500 ppm above 1000 ppm", "went offline"."""
    if alert_type == OFFLINE:
        return t("alerts-what-offline")
    if alert_type == ONLINE:
        return t("alerts-what-online")
    metric, event = split_type(alert_type)
    if event not in ("high", "low", "critical", "normal"):
        return t("alerts-what-other", type=alert_type)
    return t(
        f"alerts-what-{event}",
        metric=metric_name(t, metric),
        value=metric_value(t, metric, value),
        threshold=metric_value(t, metric, threshold),
    )


def alerts_page(t: Translator, page: AlertPage, timezone: str, now: datetime) -> str:
    if not page.items:
        return t("alerts-empty")
    lines = [t("alerts-title", page=page.number + 1, pages=page.pages, unread=page.unread)]
    for item in page.items:
        line = t(
            "alerts-line",
            marker=READ if item.is_read else UNREAD,
            time=local_moment(item.created_at, timezone, now),
            device=item.device_name,
            what=alert_what(t, item.alert_type, item.value, item.threshold),
        )
        lines.append(f"{line} {t('alerts-held')}" if item.held else line)
    return "\n".join(lines)
