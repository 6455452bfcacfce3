"""Keyboards of /settings: one per screen, pure functions of what they show."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callback_data.settings import SettingsAction, SettingsOp
from bot.texts import Translator
from bot.views.settings import METRIC_NAMES, interval_text, number
from core.services.settings import COMMON_TIMEZONES, INTERVAL_PRESETS, NIGHT_PRESETS, DeviceSettings

Rows = list[list[InlineKeyboardButton]]


def _button(text: str, device_id: int, op: SettingsOp, **fields: int | str) -> InlineKeyboardButton:
    data = SettingsAction(op=op, device_id=device_id, **fields)  # type: ignore[arg-type]
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _back(t: Translator, device_id: int) -> list[InlineKeyboardButton]:
    return [_button(t("button-back"), device_id, SettingsOp.MAIN)]


def overview(t: Translator, settings: DeviceSettings) -> InlineKeyboardMarkup:
    device = settings.device_id
    alerts = (
        _button(t("settings-button-alerts-off"), device, SettingsOp.ALERTS_OFF)
        if settings.alerts_enabled
        else _button(t("settings-button-alerts-on"), device, SettingsOp.ALERTS_ON)
    )
    rows: Rows = [
        [_button(t("settings-button-interval"), device, SettingsOp.INTERVAL), alerts],
        [
            _button(t("settings-button-levels"), device, SettingsOp.LEVELS),
            _button(t("settings-button-night"), device, SettingsOp.NIGHT),
        ],
        [_button(t("settings-button-timezone"), device, SettingsOp.TIMEZONE)],
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def intervals(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    presets = [
        _button(interval_text(t, seconds), device_id, SettingsOp.INTERVAL_SET, value=seconds)
        for seconds in INTERVAL_PRESETS
    ]
    rows: Rows = [
        presets[:3],
        presets[3:],
        [_button(t("settings-button-type"), device_id, SettingsOp.INTERVAL_TYPE)],
    ]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _back(t, device_id)])


def night(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    presets = [
        _button(f"{start:02d}–{end:02d}", device_id, SettingsOp.NIGHT_SET, value=start, end=end)
        for start, end in NIGHT_PRESETS
    ]
    rows: Rows = [
        presets,
        [
            _button(t("settings-button-type"), device_id, SettingsOp.NIGHT_TYPE),
            _button(t("settings-button-night-off"), device_id, SettingsOp.NIGHT_OFF),
        ],
    ]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _back(t, device_id)])


def levels(t: Translator, settings: DeviceSettings) -> InlineKeyboardMarkup:
    rows: Rows = []
    for rule in settings.rules:
        name = METRIC_NAMES.get(rule.metric, rule.metric)
        arrow = "▲" if rule.direction == "above" else "▼"
        rows.append(
            [
                _button(
                    f"{name} {arrow} {number(rule.threshold)}",
                    settings.device_id,
                    SettingsOp.LEVEL_TYPE,
                    rule_id=rule.id,
                    level="threshold",
                ),
                _button(
                    t("settings-button-clear", value=number(rule.clear_level)),
                    settings.device_id,
                    SettingsOp.LEVEL_TYPE,
                    rule_id=rule.id,
                    level="clear",
                ),
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _back(t, settings.device_id)])


def timezones(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    zones = [
        _button(zone, device_id, SettingsOp.TIMEZONE_SET, value=index)
        for index, zone in enumerate(COMMON_TIMEZONES)
    ]
    rows: Rows = [zones[i : i + 2] for i in range(0, len(zones), 2)]
    rows.append([_button(t("settings-button-type"), device_id, SettingsOp.TIMEZONE_TYPE)])
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _back(t, device_id)])


def back_to_settings(t: Translator, device_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("settings-button-open"), device_id, SettingsOp.MAIN)]]
    )
