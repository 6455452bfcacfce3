"""Alert notices: an outbox payload (written by core.services.notices) as the user's text and buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram.types import InlineKeyboardMarkup

from bot.keyboards.notices import notice_buttons
from bot.texts import Translator
from bot.views.moments import duration_text, local_moment, parse_moment
from core.models import METRICS
from core.services.presence import LAST_WILL, OFFLINE, ONLINE


class UnreadableNotice(ValueError):
    """A payload the bot cannot turn into a message (a bug upstream): failed, not retried."""


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # a Telegram file_id; `text` is then its caption


def metric_name(t: Translator, metric: str) -> str:
    return t(f"metric-{metric}") if metric in METRICS else t("metric-other", metric=metric)


def metric_value(t: Translator, metric: str, value: object) -> str:
    if not isinstance(value, int | float):
        return t("value-unknown")
    return t(f"value-{metric}", value=value) if metric in METRICS else t("value-other", value=value)


def split_type(alert_type: str) -> tuple[str, str]:
    """("co2", "high") from "co2_high"; ("device", "offline") from "device_offline"."""
    metric, _, event = alert_type.rpartition("_")
    return metric, event


def alert_notice(t: Translator, payload: dict[str, Any], timezone: str, now: datetime) -> Rendered:
    try:
        device_id, device = int(payload["device_id"]), str(payload["device_name"])
        alert_type = str(payload["alert_type"])
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableNotice(f"alert payload without {error}") from error
    at = parse_moment(payload.get("at")) or now
    if alert_type == OFFLINE:
        text = _offline(t, payload=payload, device=device, at=at, timezone=timezone, now=now)
        return Rendered(text, notice_buttons(t, device_id))
    if alert_type == ONLINE:
        text = t("notice-online", device=device, duration=_duration(t, payload))
        return Rendered(text, notice_buttons(t, device_id, mute=False))
    metric, event = split_type(alert_type)
    if event == "normal":
        text = _recovered(t, payload, device, metric)
        return Rendered(text, notice_buttons(t, device_id, metric, mute=False))
    text = _fired(t, payload=payload, device=device, metric=metric, event=event, timezone=timezone, now=now)
    return Rendered(text, notice_buttons(t, device_id, metric))


def over_budget_notice(t: Translator, payload: dict[str, Any]) -> Rendered:
    """The owner's once-a-day word about a device over its message budget (core.services.over_budget)."""
    try:
        device_id, device = int(payload["device_id"]), str(payload["device_name"])
        dropped = int(payload["dropped"])
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableNotice(f"over-budget payload without {error}") from error
    return Rendered(
        t("notice-over-budget", device=device, dropped=dropped), notice_buttons(t, device_id, mute=False)
    )


def _fired(
    t: Translator,
    *,
    payload: dict[str, Any],
    device: str,
    metric: str,
    event: str,
    timezone: str,
    now: datetime,
) -> str:
    since = parse_moment(payload.get("since")) or parse_moment(payload.get("at")) or now
    if event == "critical" or payload.get("critical"):
        key = "notice-critical"
    else:
        key = "notice-low" if payload.get("direction") == "below" or event == "low" else "notice-high"
    return t(
        key,
        device=device,
        metric=metric_name(t, metric),
        value=metric_value(t, metric, payload.get("value")),
        threshold=metric_value(t, metric, payload.get("threshold")),
        since=local_moment(since, timezone, now),
    )


def _recovered(t: Translator, payload: dict[str, Any], device: str, metric: str) -> str:
    return t(
        "notice-normal",
        device=device,
        metric=metric_name(t, metric),
        value=metric_value(t, metric, payload.get("value")),
        duration=_duration(t, payload),
        peak=metric_value(t, metric, payload.get("peak")),
    )


def _offline(
    t: Translator, *, payload: dict[str, Any], device: str, at: datetime, timezone: str, now: datetime
) -> str:
    last_seen = parse_moment(payload.get("last_seen"))
    key = "notice-offline-last-will" if payload.get("reason") == LAST_WILL else "notice-offline-silence"
    return t(
        key,
        device=device,
        at=local_moment(at, timezone, now),
        last_seen=local_moment(last_seen, timezone, now) if last_seen else t("notice-never"),
    )


def _duration(t: Translator, payload: dict[str, Any]) -> str:
    seconds = payload.get("duration_seconds")
    return duration_text(t, float(seconds)) if isinstance(seconds, int | float) else t("value-unknown")
