"""The /devices list and the device card."""

from __future__ import annotations

from datetime import datetime

from bot.texts import Translator
from bot.views.fitting import fit_blocks
from bot.views.readings import ONLINE_DOT, reading_line
from bot.views.seen import seen_text, state_text
from core.services.devices import DeviceSummary


def device_list(t: Translator, devices: list[DeviceSummary]) -> str:
    if not devices:
        return t("devices-empty")
    lines = [
        t(
            "devices-line",
            dot=ONLINE_DOT[device.is_online],
            name=device.name,
            role=t(f"role-{device.role}"),
            reading=reading_line(t, device.reading, device.device_type),
        )
        for device in devices
    ]
    return fit_blocks(t, t("devices-title"), lines)


def device_card(t: Translator, device: DeviceSummary, now: datetime, timezone: str) -> str:
    card = t(
        "devices-card",
        name=device.name,
        location=device.location or t("devices-location-unset"),
        type=device.device_type,
        uid=device.uid,
        role=t(f"role-{device.role}"),
        state=state_text(t, device),
        seen=seen_text(t, device.last_contact, now, timezone),
        reading=reading_line(t, device.reading, device.device_type),
        notifications=t("state-on") if device.notifications else t("state-off"),
    )
    return f"{card}\n{t('devices-card-agent')}" if device.agent else card
