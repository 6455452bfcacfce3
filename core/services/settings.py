"""A device's settings as its owner sees them (SPEC section 6): validated changes of its desired config and
alert rules.

Every change the device must know about bumps `device_configs.version` and NOTIFYs CONFIG_CHANGED, so the
processor publishes the new config retained (core.services.desired_config, the processor's side); the
device's `config_applied` raises `applied_version`. Alert rule levels other than CO2's threshold live only
on the server: changing them needs no device.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import catalogue, notify, transport
from core.alerts.rules import InvalidRule, Rule
from core.models import AlertRule, Device, DeviceConfig, User
from core.services.access import Action
from core.services.devices import authorize

REPORT_INTERVAL_MIN, REPORT_INTERVAL_MAX = 5, 3600
INTERVAL_PRESETS = (10, 30, 60, 300, 900)
NIGHT_PRESETS = ((22, 7), (23, 7), (0, 6))
COMMON_TIMEZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Asia/Yekaterinburg",
    "Asia/Novosibirsk",
    "Asia/Vladivostok",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "UTC",
)


class SettingRefused(Exception):
    """A value the user should be told is wrong; `reason` names the catalogue text, `details` fill it."""

    def __init__(self, reason: str, **details: str | int | float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class Level(StrEnum):
    THRESHOLD = "threshold"
    CLEAR = "clear"


@dataclass(frozen=True, slots=True)
class RuleSetting:
    id: int
    metric: str
    direction: str
    threshold: float
    clear_level: float
    critical: float | None


@dataclass(frozen=True, slots=True)
class DeviceSettings:
    device_id: int
    name: str
    report_interval: int
    alerts_enabled: bool
    night_mode: tuple[int, int] | None
    version: int
    applied_version: int
    rules: tuple[RuleSetting, ...]
    device_type: str = "co2"
    # An agent (HTTP, SPEC 3a) gets no config: its settings live on the server only, and its report
    # interval is its own (Telegraf's `interval`).
    agent: bool = False

    def rule(self, rule_id: int) -> RuleSetting:
        """One of this device's rules; SettingRefused for an id that is not (or no longer) one of them."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise SettingRefused("no-rule")


@dataclass(frozen=True, slots=True)
class Change:
    """What a change did: the config version the device must confirm, or None if it needs no device."""

    device_id: int
    version: int | None


# ---- reading ---------------------------------------------------------------------------------------------


async def load(session: AsyncSession, user_id: int, device_id: int) -> DeviceSettings:
    """The device's settings for an owner or admin; AccessDenied for anyone else."""
    await authorize(session, user_id, device_id, Action.CONFIGURE)
    device = await session.get_one(Device, device_id, populate_existing=True)
    config = await _config(session, device_id, lock=False)
    rules = await session.scalars(
        select(AlertRule)
        .where(AlertRule.device_id == device_id)
        .order_by(AlertRule.metric, AlertRule.direction)
        .execution_options(populate_existing=True)
    )
    return DeviceSettings(
        device_id=device_id,
        name=device.name or device.device_uid,
        report_interval=config.report_interval,
        alerts_enabled=config.alerts_enabled,
        night_mode=_night(config),
        version=config.version,
        applied_version=config.applied_version,
        rules=tuple(
            RuleSetting(r.id, r.metric, r.direction, r.threshold, r.clear_level, r.critical) for r in rules
        ),
        device_type=device.device_type,
        agent=transport.is_agent(device.device_uid),
    )


async def applied(session: AsyncSession, device_id: int, version: int) -> bool:
    """Whether the device has confirmed `version` (or a later one) of its config."""
    current = await session.scalar(
        select(DeviceConfig.applied_version).where(DeviceConfig.device_id == device_id)
    )
    return current is not None and current >= version


# ---- changing --------------------------------------------------------------------------------------------


async def set_report_interval(session: AsyncSession, user_id: int, device_id: int, seconds: float) -> Change:
    """How often the device reports, REPORT_INTERVAL_MIN..MAX whole seconds."""
    if seconds != int(seconds) or not REPORT_INTERVAL_MIN <= seconds <= REPORT_INTERVAL_MAX:
        raise SettingRefused("interval-range", low=REPORT_INTERVAL_MIN, high=REPORT_INTERVAL_MAX)
    config = await _for_change(session, user_id, device_id)
    if await _is_agent(session, device_id):
        raise SettingRefused("interval-agent")
    config.report_interval = int(seconds)
    return await _publish(session, config)


async def set_alerts(session: AsyncSession, user_id: int, device_id: int, enabled: bool) -> Change:
    """Alerts on or off for the whole device (every member); the device learns it with its config."""
    config = await _for_change(session, user_id, device_id)
    config.alerts_enabled = enabled
    return await _publish(session, config)


async def set_night_mode(
    session: AsyncSession, user_id: int, device_id: int, hours: tuple[int, int] | None
) -> Change:
    """Night hours (local start and end hour, 0..23, not equal), or None to switch night mode off."""
    if hours is not None:
        start, end = hours
        if not (0 <= start <= 23 and 0 <= end <= 23) or start == end:
            raise SettingRefused("night-hours")
    config = await _for_change(session, user_id, device_id)
    config.night_mode_start, config.night_mode_end = hours if hours is not None else (None, None)
    return await _publish(session, config)


async def set_rule_level(
    session: AsyncSession, user_id: int, device_id: int, rule_id: int, *, level: Level, value: float
) -> Change:
    """Move a rule's threshold or clear level; the rule must stay coherent (clear level on the safe side).

    The CO2 above-threshold is also part of the device's config, so changing it goes to the device.
    """
    config = await _for_change(session, user_id, device_id)
    rule = await session.scalar(
        select(AlertRule).where(AlertRule.id == rule_id, AlertRule.device_id == device_id).with_for_update()
    )
    if rule is None:
        raise SettingRefused("no-rule")
    device_type = await session.scalar(select(Device.device_type).where(Device.id == device_id))
    low, high = catalogue.metric_range(device_type or "", rule.metric)
    if not low <= value <= high:
        raise SettingRefused("level-range", low=low, high=high)
    threshold = value if level is Level.THRESHOLD else rule.threshold
    clear_level = value if level is Level.CLEAR else rule.clear_level
    _check_rule(rule, threshold, clear_level)
    rule.threshold, rule.clear_level = threshold, clear_level
    if rule.metric == "co2" and rule.direction == "above" and level is Level.THRESHOLD:
        config.co2_threshold = round(threshold)
        return await _publish(session, config)
    await session.commit()
    return Change(device_id, None)


async def set_timezone(session: AsyncSession, user: User, name: str) -> str:
    """The user's own time zone (IANA name, matched case-insensitively); returns the canonical name."""
    zone = check_timezone(name)
    user.timezone = zone
    await session.commit()
    return zone


# ---- parsing what users type -----------------------------------------------------------------------------

_LARGEST_TYPED = 1e9
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_HOURS = re.compile(r"(\d{1,2})(?::00)?\s*(?:-|–|—|\s)\s*(\d{1,2})(?::00)?")


def parse_number(typed: str) -> float:
    """A number typed in a chat: "60", "27.5" or "27,5"."""
    cleaned = typed.strip().replace(" ", "")
    if not _NUMBER.fullmatch(cleaned):
        raise SettingRefused("not-a-number")
    value = float(cleaned.replace(",", "."))
    # 400 nines parse as infinity; no setting is anywhere near a billion.
    if not abs(value) < _LARGEST_TYPED:
        raise SettingRefused("number-too-large")
    return value


def parse_hours(typed: str) -> tuple[int, int]:
    """Night hours typed as "22-7", "22 7" or "22:00-07:00"."""
    match = _HOURS.fullmatch(typed.strip())
    if match is None:
        raise SettingRefused("night-hours")
    return int(match.group(1)), int(match.group(2))


def check_timezone(name: str) -> str:
    """The canonical IANA name for `name` (any letter case), or SettingRefused."""
    wanted = name.strip().replace(" ", "_")
    for zone in _zone_names():
        if zone.lower() == wanted.lower():
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                break
            return zone
    raise SettingRefused("timezone")


def _zone_names() -> list[str]:
    return sorted(available_timezones() | {"UTC"})


# ---- helpers ---------------------------------------------------------------------------------------------


async def _for_change(session: AsyncSession, user_id: int, device_id: int) -> DeviceConfig:
    await authorize(session, user_id, device_id, Action.CONFIGURE)
    return await _config(session, device_id, lock=True)


async def _config(session: AsyncSession, device_id: int, *, lock: bool) -> DeviceConfig:
    query = select(DeviceConfig).where(DeviceConfig.device_id == device_id)
    if lock:
        # Two admins changing settings at once must not both publish "version 8".
        query = query.with_for_update()
    config = await session.scalar(query.execution_options(populate_existing=True))
    if config is None:
        config = DeviceConfig(device_id=device_id, version=1)
        session.add(config)
        await session.flush()
    return config


async def _publish(session: AsyncSession, config: DeviceConfig) -> Change:
    config.updated_at = datetime.now(UTC)
    uid = await session.scalar(select(Device.device_uid).where(Device.id == config.device_id))
    if uid is not None and transport.is_agent(uid):
        # Nothing to send: the server applies it (alerts, night mode), and no version waits for a device.
        await session.commit()
        return Change(config.device_id, None)
    config.version += 1
    await notify.notify(session, notify.CONFIG_CHANGED, uid or "")
    await session.commit()
    return Change(config.device_id, config.version)


async def _is_agent(session: AsyncSession, device_id: int) -> bool:
    uid = await session.scalar(select(Device.device_uid).where(Device.id == device_id))
    return uid is not None and transport.is_agent(uid)


def _night(config: DeviceConfig) -> tuple[int, int] | None:
    if config.night_mode_start is None or config.night_mode_end is None:
        return None
    return config.night_mode_start, config.night_mode_end


def _check_rule(rule: AlertRule, threshold: float, clear_level: float) -> None:
    try:
        Rule(rule.metric, rule.direction, threshold, clear_level, rule.hold_seconds, rule.critical)  # type: ignore[arg-type]
    except InvalidRule:
        if rule.critical is not None and not _beyond(rule.direction, rule.critical, threshold):
            raise SettingRefused("threshold-critical", critical=rule.critical) from None
        side = "clear-below" if rule.direction == "above" else "clear-above"
        raise SettingRefused(side, threshold=threshold) from None


def _beyond(direction: str, value: float, level: float) -> bool:
    return value > level if direction == "above" else value < level
