"""Buttons of /settings: the screen (op) and the value it sets; the device id is re-checked."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class SettingsOp(StrEnum):
    MAIN = "main"
    INTERVAL = "interval"  # the screen
    INTERVAL_SET = "interval_set"  # value: seconds
    INTERVAL_TYPE = "interval_type"
    # Two explicit states instead of a toggle: a replayed button cannot flip the switch back.
    ALERTS_ON = "alerts_on"
    ALERTS_OFF = "alerts_off"
    NIGHT = "night"
    NIGHT_SET = "night_set"  # value: start hour, end: end hour
    NIGHT_OFF = "night_off"
    NIGHT_TYPE = "night_type"
    LEVELS = "levels"
    LEVEL_TYPE = "level_type"  # rule_id, level
    TIMEZONE = "tz"
    TIMEZONE_SET = "tz_set"  # value: index in COMMON_TIMEZONES
    TIMEZONE_TYPE = "tz_type"


class SettingsAction(CallbackData, prefix="cfg"):
    op: SettingsOp
    device_id: int
    value: int = 0
    end: int = 0
    rule_id: int = 0
    level: str = ""
