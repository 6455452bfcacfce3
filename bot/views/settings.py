"""The /settings screens' texts: the overview, the alert levels, the prompts."""

from __future__ import annotations

from bot.texts import Translator
from core import catalogue
from core.services.settings import DeviceSettings, RuleSetting, SettingRefused

UNITS = {metric.name: f" {metric.unit}" if metric.unit else "" for metric in catalogue.METRICS.values()}
# The air metrics' short marks; the catalogue's others are named by their `metric-…` text.
METRIC_MARKS = {"co2": "CO2", "temperature": "🌡", "humidity": "💧", "pm25": "PM2.5", "voc": "VOC"}


def number(value: float) -> str:
    """1000.0 → "1000", 27.5 → "27.5": levels are shown as people type them."""
    return f"{value:g}"


def interval_text(t: Translator, seconds: int) -> str:
    if seconds % 60 == 0:
        return t("settings-minutes", minutes=str(seconds // 60))
    return t("settings-seconds", seconds=str(seconds))


def night_text(t: Translator, night: tuple[int, int] | None) -> str:
    if night is None:
        return t("state-off")
    return t("settings-night-hours", start=f"{night[0]:02d}", end=f"{night[1]:02d}")


def rule_text(t: Translator, rule: RuleSetting) -> str:
    key = "settings-rule-above" if rule.direction == "above" else "settings-rule-below"
    unit = UNITS.get(rule.metric, "")
    return t(
        key,
        metric=METRIC_MARKS.get(rule.metric) or t(f"metric-{rule.metric}"),
        threshold=number(rule.threshold) + unit,
        clear=number(rule.clear_level) + unit,
    )


def overview(t: Translator, settings: DeviceSettings, timezone: str) -> str:
    if settings.agent:  # nothing is sent to an agent: the server applies its settings
        sync = t("settings-sync-server")
    elif settings.applied_version >= settings.version:
        sync = t("settings-sync-applied")
    else:
        sync = t("settings-sync-waiting")
    interval = t("settings-interval-agent") if settings.agent else interval_text(t, settings.report_interval)
    return t(
        "settings-overview",
        name=settings.name,
        interval=interval,
        alerts=t("state-on") if settings.alerts_enabled else t("state-off"),
        night=night_text(t, settings.night_mode),
        timezone=timezone,
        sync=sync,
    )


def levels(t: Translator, settings: DeviceSettings) -> str:
    lines = [rule_text(t, rule) for rule in settings.rules] or [t("settings-no-rules")]
    return "\n".join([t("settings-levels-title", name=settings.name), *lines])


def level_prompt(t: Translator, rule: RuleSetting, clear: bool, low: float, high: float) -> str:
    unit = UNITS.get(rule.metric, "")
    return t(
        "settings-ask-clear" if clear else "settings-ask-threshold",
        rule=rule_text(t, rule),
        low=number(low) + unit,
        high=number(high) + unit,
    )


def refusal(t: Translator, refused: SettingRefused) -> str:
    details = {
        key: number(value) if isinstance(value, int | float) else value
        for key, value in refused.details.items()
    }
    return t(f"settings-refused-{refused.reason}", **details)
