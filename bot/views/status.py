"""The /status overview: every device of the user with its newest reading."""

from __future__ import annotations

from datetime import datetime

from bot.texts import Translator
from bot.views.fitting import fit_blocks
from bot.views.readings import ONLINE_DOT, reading_line
from bot.views.seen import seen_text, state_text
from core.services.devices import DeviceSummary


def status_overview(t: Translator, devices: list[DeviceSummary], now: datetime, timezone: str) -> str:
    if not devices:
        return t("status-empty")
    blocks = [
        t(
            "status-device",
            dot=ONLINE_DOT[device.is_online],
            name=device.name,
            location=t("status-location", location=device.location) if device.location else "",
            reading=reading_line(t, device.reading, device.device_type),
            state=state_text(t, device),
            seen=seen_text(t, device.last_contact, now, timezone),
        )
        for device in devices
    ]
    return fit_blocks(t, t("status-title"), blocks)
