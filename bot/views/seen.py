"""Whether a device is online, and when it was last heard from, in the user's own time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.texts import Translator
from core.services.devices import DeviceSummary


def seen_text(t: Translator, moment: datetime | None, now: datetime, timezone: str) -> str:
    if moment is None:
        return t("seen-never")
    elapsed = now - moment
    if elapsed < timedelta(minutes=1):
        return t("seen-just-now")
    if elapsed < timedelta(hours=1):
        return t("seen-minutes", minutes=int(elapsed.total_seconds() // 60))
    local = moment.astimezone(ZoneInfo(timezone))
    if elapsed < timedelta(hours=24):
        return t("seen-at-time", time=local.strftime("%H:%M"))
    return t("seen-at-date", date=local.strftime("%d.%m.%Y %H:%M"))


def state_text(t: Translator, device: DeviceSummary) -> str:
    return t("state-online") if device.is_online else t("state-offline")
