"""Keyboards of /settings: one per screen, pure functions of what they show."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.settings import SettingsAction, SettingsOp
from bot.texts import Translator
from bot.views.settings import METRIC_MARKS, interval_text, number
from core.services.settings import COMMON_TIMEZONES, INTERVAL_PRESETS, NIGHT_PRESETS, DeviceSettings

TIMEZONES_PER_ROW = 2


class _Screen:
    """The buttons of one settings screen: every one acts on the same device."""

    def __init__(self, device_id: int) -> None:
        self.device_id = device_id
        self.keyboard = InlineKeyboardBuilder()

    def add(self, text: str, op: SettingsOp, **fields: int | str) -> None:
        data = SettingsAction(op=op, device_id=self.device_id, **fields)  # type: ignore[arg-type]
        self.keyboard.button(text=text, callback_data=data)

    def markup(self, *rows: int) -> InlineKeyboardMarkup:
        """The buttons laid out `rows[0]`, `rows[1]`, … to a row."""
        self.keyboard.adjust(*rows)
        return self.keyboard.as_markup()

    def with_back(self, t: Translator, *rows: int) -> InlineKeyboardMarkup:
        """The same, then « Back to the overview on a row of its own."""
        self.add(t("button-back"), SettingsOp.MAIN)
        return self.markup(*rows, 1)


def overview(t: Translator, settings: DeviceSettings) -> InlineKeyboardMarkup:
    screen = _Screen(settings.device_id)
    if not settings.agent:  # an agent's interval is its own (Telegraf's), not ours to send
        screen.add(t("settings-button-interval"), SettingsOp.INTERVAL)
    if settings.alerts_enabled:
        screen.add(t("settings-button-alerts-off"), SettingsOp.ALERTS_OFF)
    else:
        screen.add(t("settings-button-alerts-on"), SettingsOp.ALERTS_ON)
    screen.add(t("settings-button-levels"), SettingsOp.LEVELS)
    screen.add(t("settings-button-night"), SettingsOp.NIGHT)
    screen.add(t("settings-button-timezone"), SettingsOp.TIMEZONE)
    return screen.markup(2, 2) if settings.agent else screen.markup(2, 2, 1)


def intervals(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    screen = _Screen(device_id)
    for seconds in INTERVAL_PRESETS:
        screen.add(interval_text(t, seconds), SettingsOp.INTERVAL_SET, value=seconds)
    screen.add(t("settings-button-type"), SettingsOp.INTERVAL_TYPE)
    return screen.with_back(t, 3, len(INTERVAL_PRESETS) - 3, 1)


def night(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    screen = _Screen(device_id)
    for start, end in NIGHT_PRESETS:
        screen.add(f"{start:02d}–{end:02d}", SettingsOp.NIGHT_SET, value=start, end=end)
    screen.add(t("settings-button-type"), SettingsOp.NIGHT_TYPE)
    screen.add(t("settings-button-night-off"), SettingsOp.NIGHT_OFF)
    return screen.with_back(t, len(NIGHT_PRESETS), 2)


def levels(t: Translator, settings: DeviceSettings) -> InlineKeyboardMarkup:
    """A row per alert rule: its threshold, then its clear level."""
    screen = _Screen(settings.device_id)
    for rule in settings.rules:
        name = METRIC_MARKS.get(rule.metric) or t(f"metric-{rule.metric}")
        arrow = "▲" if rule.direction == "above" else "▼"
        threshold = f"{name} {arrow} {number(rule.threshold)}"
        screen.add(threshold, SettingsOp.LEVEL_TYPE, rule_id=rule.id, level="threshold")
        clear = t("settings-button-clear", value=number(rule.clear_level))
        screen.add(clear, SettingsOp.LEVEL_TYPE, rule_id=rule.id, level="clear")
    return screen.with_back(t, *[2] * len(settings.rules))


def timezones(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    screen = _Screen(device_id)
    for index, zone in enumerate(COMMON_TIMEZONES):
        screen.add(zone, SettingsOp.TIMEZONE_SET, value=index)
    screen.add(t("settings-button-type"), SettingsOp.TIMEZONE_TYPE)
    full, rest = divmod(len(COMMON_TIMEZONES), TIMEZONES_PER_ROW)
    return screen.with_back(t, *[TIMEZONES_PER_ROW] * full, *([rest] if rest else []), 1)


def back_to_settings(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    screen = _Screen(device_id)
    screen.add(t("settings-button-open"), SettingsOp.MAIN)
    return screen.markup()
